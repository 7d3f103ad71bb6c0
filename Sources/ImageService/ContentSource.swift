import BerthBase
import ContentStore
import Foundation
import ImageReference
import OCIImage
import Registry

/// Where an image's content comes from: a registry for a pull, an OCI layout for an import.
protocol ContentSource: Sendable {
    /// A short name for messages (`127.0.0.1:5000/busybox:latest`, `layout /tmp/x`).
    var name: String { get }
    /// The bytes of a manifest or index, verified against its digest.
    func manifest(_ descriptor: Descriptor) async throws -> [UInt8]
    /// Streams a blob into a writer that hashes and size-checks it; the caller commits.
    func blob(_ descriptor: Descriptor, into writer: BlobWriter, progress: @escaping @Sendable (Int64) -> Void) async throws
}

/// A registry repository, reached through the configured mirrors and credentials.
struct RegistrySource: ContentSource {
    let client: RegistryClient
    let reference: Reference
    let credentials: Credentials?

    var name: String { reference.description }

    func manifest(_ descriptor: Descriptor) async throws -> [UInt8] {
        try await client.fetchManifest(reference, digest: descriptor.digest, credentials: credentials).bytes
    }

    func blob(_ descriptor: Descriptor, into writer: BlobWriter, progress: @escaping @Sendable (Int64) -> Void) async throws {
        try await client.fetchBlob(reference, descriptor: descriptor, credentials: credentials, into: writer, progress: progress)
    }
}

/// An OCI image layout directory (image-spec `image-layout.md`).
struct LayoutSource: ContentSource {
    let directory: String

    var name: String { "layout \(directory)" }

    func path(_ digest: Digest) -> String { "\(directory)/blobs/\(digest.algorithm)/\(digest.encoded)" }

    func manifest(_ descriptor: Descriptor) async throws -> [UInt8] {
        let path = path(descriptor.digest)
        guard let bytes = try FileSystem.read(path) else {
            throw BerthError(.notFound, "\(name): blob \(descriptor.digest) is missing")
        }
        let actual = SHA256Hasher.digest(bytes)
        guard actual == descriptor.digest else {
            throw BerthError(.invalidArgument, "\(name): blob \(descriptor.digest): digest mismatch (got \(actual))")
        }
        return bytes
    }

    func blob(_ descriptor: Descriptor, into writer: BlobWriter, progress: @escaping @Sendable (Int64) -> Void) async throws {
        let path = path(descriptor.digest)
        let sendableWriter = UncheckedSendable(writer)
        try await runBlocking(name: "berth-import") { flag in
            guard let file = fopen(path, "rb") else {
                throw BerthError(.notFound, "\(name): blob \(descriptor.digest) is missing")
            }
            defer { fclose(file) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var total: Int64 = 0
            while true {
                if flag.isCancelled { throw BerthError(.cancelled, "\(name): import cancelled") }
                let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try sendableWriter.value.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                total += Int64(count)
                progress(total)
            }
            if ferror(file) != 0 { throw BerthError(.internal, "\(name): read \(path): \(FileSystem.errnoText())") }
        }
    }
}

/// Carries a value that is used by one thread at a time across a concurrency boundary.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
