import BerthBase
import Foundation
import HTTPClient
import ImageReference

extension RegistryClient {
    /// Uploads a blob to the reference's registry host (never a mirror) in one monolithic
    /// PUT, unless the registry already has it.
    public func pushBlob(_ reference: Reference, digest: Digest, bytes: [UInt8], credentials: Credentials?) async throws(BerthError) {
        try await pushBlob(reference, digest: digest, body: .bytes(bytes), credentials: credentials)
    }

    /// Uploads the blob stored in the file at `path`, as `pushBlob(_:digest:bytes:credentials:)` does.
    public func pushBlob(_ reference: Reference, digest: Digest, file path: String, credentials: Credentials?) async throws(BerthError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw BerthError(.notFound, "push \(reference.name): blob \(digest): \(path): \(FileSystem.errnoText())")
        }
        try await pushBlob(reference, digest: digest, body: .file(path: path, size: Int64(info.st_size)), credentials: credentials)
    }

    /// Uploads a manifest or index under the reference's tag (or digest); returns its digest.
    @discardableResult
    public func pushManifest(
        _ reference: Reference, mediaType: String, bytes: [UInt8], credentials: Credentials?
    ) async throws(BerthError) -> Digest {
        let subject = "push \(reference.description)"
        let digest = SHA256Hasher.digest(bytes)
        if let want = reference.digest, want != digest {
            throw BerthError(.invalidArgument, "\(subject): digest mismatch (got \(digest))")
        }
        guard let target = reference.tag ?? reference.digest?.description else {
            throw BerthError(.invalidArgument, "\(subject): reference has neither tag nor digest")
        }
        let endpoint = RegistryEndpoint.host(for: reference.domain, configuration: configuration)
        try await blocking(subject) { flag throws(BerthError) in
            do throws(BerthError) {
                var request = TransferRequest(method: "PUT", url: endpoint.url(repository: reference.path, "manifests/\(target)"))
                request.headers = ["Content-Type: \(mediaType)"]
                request.body = .bytes(bytes)
                let response = try self.exchange(
                    request, at: endpoint, repository: reference.path, access: .push, credentials: credentials, flag: flag)
                try self.check(response, expected: [200, 201], at: endpoint)
            } catch {
                throw BerthError(error.code, "\(subject): \(error.message)")
            }
        }
        return digest
    }

    private func pushBlob(_ reference: Reference, digest: Digest, body: TransferBody, credentials: Credentials?) async throws(BerthError) {
        let subject = "push \(reference.name): blob \(digest)"
        let endpoint = RegistryEndpoint.host(for: reference.domain, configuration: configuration)
        let repository = reference.path
        try await blocking(subject) { flag throws(BerthError) in
            do throws(BerthError) {
                let head = try self.exchange(
                    TransferRequest(method: "HEAD", url: endpoint.url(repository: repository, "blobs/\(digest)")),
                    at: endpoint, repository: repository, access: .push, credentials: credentials, flag: flag)
                if head.status == 200 { return }

                let start = try self.exchange(
                    TransferRequest(method: "POST", url: endpoint.url(repository: repository, "blobs/uploads/")),
                    at: endpoint, repository: repository, access: .push, credentials: credentials, flag: flag)
                try self.check(start, expected: [202], at: endpoint)
                guard let location = start.header("Location"),
                      let upload = URL(string: location, relativeTo: URL(string: endpoint.base))?.absoluteString else {
                    throw BerthError(.unavailable, "\(endpoint): upload started without a Location")
                }

                var put = TransferRequest(method: "PUT", url: upload + (upload.contains("?") ? "&" : "?") + "digest=\(percentEncoded(digest.description))")
                put.headers = ["Content-Type: application/octet-stream"]
                put.body = body
                let done = try self.exchange(
                    put, at: endpoint, repository: repository, access: .push, credentials: credentials, flag: flag)
                try self.check(done, expected: [201], at: endpoint)
            } catch {
                throw BerthError(error.code, "\(subject): \(error.message)")
            }
        }
    }
}
