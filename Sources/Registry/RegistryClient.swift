import BerthBase
import ContentStore
import Foundation
import HTTPClient
import ImageReference
import Logging
import OCIImage

/// An OCI distribution-spec client over Berth's HTTP client: resolves references, fetches manifests and
/// blobs (through the configured mirrors, with basic or bearer authentication), and pushes.
/// Every transfer runs on a thread of its own and stops when its task is cancelled.
public final class RegistryClient: Sendable {
    let configuration: RegistryConfiguration
    let logger: Logger
    /// Timeouts and proxies for every transfer; `verifyTLS` is set per endpoint.
    let options: TransferOptions
    let authorizer: Authorizer

    /// The most bytes a manifest or index may have (containerd's limit as well).
    static let manifestLimit = 4 << 20

    /// `options` gives the timeouts and proxies, by default those berthd's environment says
    /// (`https_proxy`, `no_proxy`, ...); its `verifyTLS` is replaced by each endpoint's.
    public init(
        configuration: RegistryConfiguration, logger: Logger, options: TransferOptions = TransferOptions(proxies: .environment)
    ) {
        self.configuration = configuration
        self.logger = logger
        self.options = options
        self.authorizer = Authorizer(options: options, logger: logger)
    }

    /// The manifest or index a reference names (by digest when it has one, else by tag),
    /// verified against that digest or the registry's `Docker-Content-Digest`.
    public func resolve(
        _ reference: Reference, credentials: Credentials?
    ) async throws(BerthError) -> (descriptor: Descriptor, bytes: [UInt8]) {
        let subject = reference.description
        guard let target = reference.digest?.description ?? reference.tag else {
            throw BerthError(.invalidArgument, "\(subject): reference has neither tag nor digest")
        }
        return try await blocking(subject) { flag throws(BerthError) in
            try self.onEndpoints(domain: reference.domain, subject: subject) { endpoint throws(BerthError) in
                let response = try self.getManifest(reference, target: target, at: endpoint, credentials: credentials, flag: flag)
                let actual = SHA256Hasher.digest(response.body)
                if let want = reference.digest {
                    guard actual == want else { throw mismatch(want: want, got: actual, from: endpoint) }
                } else if let header = response.header("Docker-Content-Digest"), let want = try? Digest(parsing: header), want != actual {
                    throw mismatch(want: want, got: actual, from: endpoint)
                }
                let mediaType = manifestMediaType(response)
                return (Descriptor(mediaType: mediaType, digest: actual, size: Int64(response.body.count)), response.body)
            }
        }
    }

    /// The manifest or index with `digest` in the reference's repository, verified.
    public func fetchManifest(
        _ reference: Reference, digest: Digest, credentials: Credentials?
    ) async throws(BerthError) -> (mediaType: String, bytes: [UInt8]) {
        let subject = "\(reference.name)@\(digest)"
        return try await blocking(subject) { flag throws(BerthError) in
            try self.onEndpoints(domain: reference.domain, subject: subject) { endpoint throws(BerthError) in
                let response = try self.getManifest(reference, target: digest.description, at: endpoint, credentials: credentials, flag: flag)
                let actual = SHA256Hasher.digest(response.body)
                guard actual == digest else { throw mismatch(want: digest, got: actual, from: endpoint) }
                return (manifestMediaType(response), response.body)
            }
        }
    }

    /// Streams a blob into `writer`, which hashes it and refuses more than its declared size;
    /// `progress` hears the bytes written so far. Redirects (to object storage) are followed
    /// without the registry's credentials. The caller commits the writer.
    public func fetchBlob(
        _ reference: Reference, descriptor: Descriptor, credentials: Credentials?, into writer: BlobWriter,
        progress: @escaping @Sendable (Int64) -> Void = { _ in }
    ) async throws(BerthError) {
        let subject = "\(reference.name): blob \(descriptor.digest)"
        let target = UncheckedWriter(writer)
        try await blocking(subject) { flag throws(BerthError) in
            let writer = target.writer
            let start = writer.written
            var reported = start
            let sink: TransferSink = { (bytes) throws(BerthError) in
                try writer.write(bytes)
                // Reporting every chunk would flood the caller; every MiB is plenty.
                if writer.written - reported >= 1 << 20 {
                    reported = writer.written
                    progress(reported)
                }
            }
            try self.onEndpoints(domain: reference.domain, subject: subject, mayRetry: { writer.written == start }) { endpoint throws(BerthError) in
                var request = TransferRequest(url: endpoint.url(repository: reference.path, "blobs/\(descriptor.digest)"))
                request.followRedirects = true
                request.bodyLimit = 64 << 10
                let response = try self.exchange(
                    request, at: endpoint, repository: reference.path, access: .pull,
                    credentials: credentials, flag: flag, sink: sink)
                try self.check(response, expected: [200], at: endpoint)
            }
            progress(writer.written)
        }
    }

    private func getManifest(
        _ reference: Reference, target: String, at endpoint: RegistryEndpoint, credentials: Credentials?, flag: CancellationFlag
    ) throws(BerthError) -> TransferResponse {
        var request = TransferRequest(url: endpoint.url(repository: reference.path, "manifests/\(target)"))
        request.headers = ["Accept: \(MediaType.acceptedManifests.joined(separator: ", "))"]
        request.bodyLimit = Self.manifestLimit
        let response = try exchange(request, at: endpoint, repository: reference.path, access: .pull, credentials: credentials, flag: flag)
        try check(response, expected: [200], at: endpoint)
        return response
    }
}

/// The media type of a fetched manifest: its `Content-Type` when that names a manifest type,
/// else the document's own `mediaType` field, else a guess from its shape.
func manifestMediaType(_ response: TransferResponse) -> String {
    let contentType = response.header("Content-Type")?
        .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    if MediaType.acceptedManifests.contains(contentType) { return contentType }
    struct Shape: Decodable {
        var mediaType: String?
        var manifests: [Descriptor]?
    }
    let shape = try? JSONDecoder().decode(Shape.self, from: Data(response.body))
    if let mediaType = shape?.mediaType, !mediaType.isEmpty { return mediaType }
    if shape?.manifests != nil { return MediaType.ociIndex }
    return contentType.isEmpty || contentType == "application/json" ? MediaType.ociManifest : contentType
}

private func mismatch(want: Digest, got: Digest, from endpoint: RegistryEndpoint) -> BerthError {
    BerthError(.invalidArgument, "manifest \(want) from \(endpoint): digest mismatch (got \(got))")
}

/// Carries the caller's writer to the transfer thread. The caller awaits the transfer, so
/// only one thread ever uses the writer at a time.
private struct UncheckedWriter: @unchecked Sendable {
    let writer: BlobWriter
    init(_ writer: BlobWriter) { self.writer = writer }
}
