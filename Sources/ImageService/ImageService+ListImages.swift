import CRI
import ImageReference

extension ImageService {
    /// CRI `ListImages`: every image, or those the filter's image reference names.
    public func listImages(_ request: Runtime_V1_ListImagesRequest) async -> Runtime_V1_ListImagesResponse {
        var response = Runtime_V1_ListImagesResponse()
        let filter = request.hasFilter ? request.filter.image.image : ""
        if filter.isEmpty {
            response.images = await catalog.all.map(\.criImage)
        } else if let record = await catalog.find(filter) {
            response.images = [record.criImage]
        }
        return response
    }
}
