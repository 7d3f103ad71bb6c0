import BerthBase
import CRI
import ImageReference
import Registry

extension ImageService {
    /// CRI `PullImage`: resolves the reference, fetches and verifies every blob, unpacks each
    /// layer once, and records the image. Returns the image id.
    public func pullImage(_ request: Runtime_V1_PullImageRequest, progress: ProgressSink? = nil) async throws -> Runtime_V1_PullImageResponse {
        let text = request.image.image
        guard !text.isEmpty else { throw BerthError(.invalidArgument, "pull: image reference is empty") }
        let reference = try Reference(parsing: text)
        let credentials = try request.hasAuth ? Credentials(request.auth) : nil
        let started = ContinuousClock.now
        let record = try await withErrorContext("pull \(reference)") {
            let (top, bytes) = try await registry.resolve(reference, credentials: credentials)
            var names = ImageIngest.Names()
            if let tagged = reference.tagged { names.repoTags.append(tagged) }
            names.repoDigests.append("\(reference.name)@\(top.digest)")
            let source = RegistrySource(client: registry, reference: reference, credentials: credentials)
            return try await ingest.ingest(from: source, top: top, topBytes: bytes, names: names, progress: progress)
        }
        logger.info("pulled image", metadata: [
            "image": "\(reference)", "id": "\(record.id)", "duration": "\(ContinuousClock.now - started)",
        ])
        var response = Runtime_V1_PullImageResponse()
        response.imageRef = record.id.description
        return response
    }
}

extension Credentials {
    /// Credentials from a CRI `AuthConfig`; `auth` is base64 `user:password`.
    init(_ auth: Runtime_V1_AuthConfig) throws(BerthError) {
        if !auth.auth.isEmpty {
            self = try Credentials(auth: auth.auth)
        } else {
            self.init()
            username = auth.username.isEmpty ? nil : auth.username
            password = auth.password.isEmpty ? nil : auth.password
        }
        if !auth.identityToken.isEmpty { identityToken = auth.identityToken }
        if !auth.registryToken.isEmpty { registryToken = auth.registryToken }
    }
}
