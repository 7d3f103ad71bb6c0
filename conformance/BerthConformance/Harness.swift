import BerthBase
import BerthClient
import CRI
import SwiftProtobuf

/// What every check is handed: the daemon under test, the test registry, and small steps
/// (pull, status, remove, list) that say clearly what failed.
struct Harness: Sendable {
    let client: BerthClient
    /// The test registry, `host:port`; images are pulled as `host:port/name`.
    let registry: String
    let runtimeHandler: String
    let probe: RegistryProbe

    init(client: BerthClient, registry: String, runtimeHandler: String) {
        self.client = client
        self.registry = registry
        self.runtimeHandler = runtimeHandler
        self.probe = RegistryProbe(registry: registry)
    }

    /// `busybox:latest` → `127.0.0.1:5000/busybox:latest`
    func reference(_ name: String) -> String {
        "\(registry)/\(name)"
    }

    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, timeout: Duration? = nil
    ) async throws(BerthError) -> Response {
        try await client.call(method, request, as: Response.self, timeout: timeout)
    }

    /// Pulls `reference` and returns the image ref berthd answers with.
    func pull(_ reference: String, timeout: Duration? = nil) async throws -> String {
        var request = Runtime_V1_PullImageRequest()
        request.image.image = reference
        let response = try await call(
            Method.image("PullImage"), request, as: Runtime_V1_PullImageResponse.self, timeout: timeout ?? .seconds(240))
        try expect(response.imageRef.hasPrefix("sha256:"), "pull \(reference): image ref \"\(response.imageRef)\" is not a sha256 id")
        return response.imageRef
    }

    /// The image `reference` names, or `nil` when berthd has none (CRI answers with no image,
    /// not an error).
    func status(_ reference: String, verbose: Bool = false) async throws -> Runtime_V1_Image? {
        try await statusResponse(reference, verbose: verbose).map(\.image)
    }

    func statusResponse(_ reference: String, verbose: Bool = false) async throws -> Runtime_V1_ImageStatusResponse? {
        var request = Runtime_V1_ImageStatusRequest()
        request.image.image = reference
        request.verbose = verbose
        let response = try await call(Method.image("ImageStatus"), request, as: Runtime_V1_ImageStatusResponse.self)
        return response.hasImage && !response.image.id.isEmpty ? response : nil
    }

    /// The image `reference` names; fails the check when there is none.
    func requireStatus(_ reference: String) async throws -> Runtime_V1_Image {
        guard let image = try await status(reference) else {
            throw CheckFailure(reason: "image status \(reference): no image")
        }
        return image
    }

    func remove(_ reference: String) async throws {
        var request = Runtime_V1_RemoveImageRequest()
        request.image.image = reference
        _ = try await call(Method.image("RemoveImage"), request, as: Runtime_V1_RemoveImageResponse.self)
    }

    func list(filter: String? = nil) async throws -> [Runtime_V1_Image] {
        var request = Runtime_V1_ListImagesRequest()
        if let filter {
            request.filter.image.image = filter
        }
        return try await call(Method.image("ListImages"), request, as: Runtime_V1_ListImagesResponse.self).images
    }

    /// Runs `body` with none of `references` present beforehand, and removes them again
    /// afterwards whatever happened, so every check starts and leaves clean.
    @discardableResult
    func withClean<T>(_ references: [String], _ body: () async throws -> T) async throws -> T {
        for reference in references {
            try await remove(reference)
        }
        do {
            let result = try await body()
            try await removeAll(references)
            return result
        } catch {
            try? await removeAll(references)
            throw error
        }
    }

    private func removeAll(_ references: [String]) async throws {
        for reference in references {
            try await remove(reference)
        }
    }
}

/// CRI method names, as the socket routes them.
enum Method {
    static func runtime(_ name: String) -> String { "runtime.v1.RuntimeService/\(name)" }
    static func image(_ name: String) -> String { "runtime.v1.ImageService/\(name)" }
}
