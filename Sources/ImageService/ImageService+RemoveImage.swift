import BerthBase
import CRI

extension ImageService {
    /// CRI `RemoveImage`: removes the image with all its names and frees content nothing else
    /// uses. A missing image is not an error.
    public func removeImage(_ request: Runtime_V1_RemoveImageRequest) async throws -> Runtime_V1_RemoveImageResponse {
        let query = request.image.image
        guard !query.isEmpty else { throw BerthError(.invalidArgument, "remove image: image is empty") }
        if let record = await catalog.find(query) {
            try await catalog.remove(record.id)
            logger.info("removed image", metadata: ["image": "\(query)", "id": "\(record.id)"])
        }
        return Runtime_V1_RemoveImageResponse()
    }
}
