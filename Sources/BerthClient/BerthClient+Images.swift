import BerthBase
import CRI

extension BerthClient {
    private static let images = "runtime.v1.ImageService/"

    /// Pulls `image` and returns the image reference the runtime stored it under (`PullImage`).
    public func pullImage(
        _ image: String, auth: Runtime_V1_AuthConfig? = nil, timeout: Duration? = nil
    ) async throws(BerthError) -> String {
        var request = Runtime_V1_PullImageRequest()
        request.image = Self.spec(image)
        if let auth { request.auth = auth }
        let response = try await call(Self.images + "PullImage", request, as: Runtime_V1_PullImageResponse.self, timeout: timeout)
        return response.imageRef
    }

    /// What the runtime knows of `image`; the reply has no `image` when it is not present (`ImageStatus`).
    public func imageStatus(
        _ image: String, verbose: Bool = false, timeout: Duration? = nil
    ) async throws(BerthError) -> Runtime_V1_ImageStatusResponse {
        var request = Runtime_V1_ImageStatusRequest()
        request.image = Self.spec(image)
        request.verbose = verbose
        return try await call(Self.images + "ImageStatus", request, timeout: timeout)
    }

    /// The images present, or only those matching `filter` (`ListImages`).
    public func listImages(filter: String? = nil, timeout: Duration? = nil) async throws(BerthError) -> [Runtime_V1_Image] {
        var request = Runtime_V1_ListImagesRequest()
        if let filter { request.filter.image = Self.spec(filter) }
        let response = try await call(Self.images + "ListImages", request, as: Runtime_V1_ListImagesResponse.self, timeout: timeout)
        return response.images
    }

    /// Removes `image`; removing an image that is absent is not an error (`RemoveImage`).
    public func removeImage(_ image: String, timeout: Duration? = nil) async throws(BerthError) {
        var request = Runtime_V1_RemoveImageRequest()
        request.image = Self.spec(image)
        _ = try await call(Self.images + "RemoveImage", request, as: Runtime_V1_RemoveImageResponse.self, timeout: timeout)
    }

    /// How much space the image store uses (`ImageFsInfo`).
    public func imageFsInfo(timeout: Duration? = nil) async throws(BerthError) -> Runtime_V1_ImageFsInfoResponse {
        try await call(Self.images + "ImageFsInfo", Runtime_V1_ImageFsInfoRequest(), timeout: timeout)
    }

    private static func spec(_ image: String) -> Runtime_V1_ImageSpec {
        var spec = Runtime_V1_ImageSpec()
        spec.image = image
        return spec
    }
}
