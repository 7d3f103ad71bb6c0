import BerthBase
import CRI
import ContentStore
import Foundation

extension ImageService {
    /// CRI `ImageStatus`: the image found by id, tag or digest, or no image (not an error) when
    /// none matches. Verbose adds `info["info"]`: the image config and where its layers are.
    public func imageStatus(_ request: Runtime_V1_ImageStatusRequest) async throws -> Runtime_V1_ImageStatusResponse {
        var response = Runtime_V1_ImageStatusResponse()
        guard let record = await catalog.find(request.image.image) else { return response }
        response.image = record.criImage
        if request.verbose {
            response.info["info"] = try verboseInfo(record)
        }
        return response
    }

    private func verboseInfo(_ record: ImageRecord) throws -> String {
        let config = try blobs.read(record.id)
        var info: [String: Any] = [
            "manifestDigest": record.manifestDigest.description,
            "chainIDs": record.chainIDs.map(\.description),
            "layers": record.layers.map { ["digest": $0.digest.description, "mediaType": $0.mediaType, "size": $0.size] },
        ]
        info["imageSpec"] = try JSONSerialization.jsonObject(with: Data(config))
        let data = try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
