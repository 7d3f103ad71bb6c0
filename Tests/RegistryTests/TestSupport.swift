#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import ContentStore
import Foundation
import HTTPClient
import ImageReference
import Logging
import OCIImage
import Registry

/// A client for the given hosts, logging only warnings.
func makeClient(
    _ hosts: [String: RegistryHost] = [:], options: TransferOptions = TransferOptions(proxies: .environment)
) -> RegistryClient {
    var logger = Logger(label: "berth.registry.test")
    logger.logLevel = .warning
    return RegistryClient(configuration: RegistryConfiguration(hosts: hosts), logger: logger, options: options)
}

/// A small single-layer image pushed to a registry.
struct PushedImage {
    let config: Descriptor
    let layer: Descriptor
    let layerBytes: [UInt8]
    let manifest: Descriptor
    let manifestBytes: [UInt8]
}

/// Random bytes, so every test's content is its own.
func randomBytes(_ count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0 ... 255) }
}

func encodeJSON(_ value: some Encodable) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Array(try encoder.encode(value))
}

/// Pushes a config, a layer of `layerSize` random bytes and a manifest tagged `tag`.
func pushImage(
    _ client: RegistryClient, to repository: Reference, layerSize: Int = 100_000, architecture: String = "amd64",
    credentials: Credentials? = nil
) async throws -> PushedImage {
    let layerBytes = randomBytes(layerSize)
    let layer = Descriptor(mediaType: MediaType.ociLayerGzip, digest: SHA256Hasher.digest(layerBytes), size: Int64(layerBytes.count))
    let configBytes = try encodeJSON(ImageConfig(
        architecture: architecture, rootfs: .init(diffIDs: [SHA256Hasher.digest(randomBytes(16))])))
    let config = Descriptor(mediaType: MediaType.ociConfig, digest: SHA256Hasher.digest(configBytes), size: Int64(configBytes.count))
    try await client.pushBlob(repository, digest: layer.digest, bytes: layerBytes, credentials: credentials)
    try await client.pushBlob(repository, digest: config.digest, bytes: configBytes, credentials: credentials)
    let manifestBytes = try encodeJSON(Manifest(config: config, layers: [layer]))
    let digest = try await client.pushManifest(repository, mediaType: MediaType.ociManifest, bytes: manifestBytes, credentials: credentials)
    let manifest = Descriptor(mediaType: MediaType.ociManifest, digest: digest, size: Int64(manifestBytes.count))
    return PushedImage(config: config, layer: layer, layerBytes: layerBytes, manifest: manifest, manifestBytes: manifestBytes)
}

/// Runs `body` with a fresh directory that is removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    var template = Array("\(NSTemporaryDirectory())/berth-registry-test-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw FixtureError("mkdtemp: \(FileSystem.errnoText())") }
    let path = String(cString: created)
    defer { try? FileSystem.removeTree(path) }
    return try await body(path)
}

/// A loopback TCP port that accepts connections (the kernel completes them) but never
/// answers: a registry that has stalled.
final class SilentListener {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(FileSystem.errnoText())") }
        var address = LocalRegistry.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ready else {
            close(fd)
            throw FixtureError("listen: \(FileSystem.errnoText())")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

/// Rewrites the registry's stored copy of a blob, as disk corruption or a tampering mirror
/// would; the registry serves what it has without checking it.
func rewriteStoredBlob(_ digest: Digest, in registry: LocalRegistry, _ change: (inout [UInt8]) -> Void) throws {
    let path = "\(registry.storage)/docker/registry/v2/blobs/sha256/\(digest.encoded.prefix(2))/\(digest.encoded)/data"
    guard var bytes = try FileSystem.read(path), !bytes.isEmpty else { throw FixtureError("no stored blob at \(path)") }
    change(&bytes)
    try FileSystem.atomicWrite(bytes, to: path)
}
