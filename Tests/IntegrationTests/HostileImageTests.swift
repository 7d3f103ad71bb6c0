import BerthBase
import BerthClient
import Foundation
import ImageReference
import Logging
import OCIImage
import Registry
import TestSupport
import Testing

/// Images whose layers try to escape or lie, pushed to the test registry and pulled through a
/// real berthd: each pull must fail with a clear message and leave nothing anywhere.
@Suite(.enabled(if: TestEnvironment.ready, TestEnvironment.reason), .serialized)
struct HostileImageTests {
    static let cases: [(name: String, layer: HostileLayer, words: [String])] = [
        ("traversal", .entries([.file("../../evil-traversal", "x")]), ["../../evil-traversal", "escapes the layer"]),
        ("absolute", .entries([.file("/evil-absolute", "x")]), ["/evil-absolute", "absolute"]),
        ("symlink", .entries([.symlink("link", to: "/tmp"), .file("link/evil-through-symlink", "x")]), ["passes through symlink"]),
        ("hardlink", .entries([.hardlink("evil-hardlink", to: "../../../etc/passwd")]), ["evil-hardlink", "escapes the layer"]),
        ("truncated", .raw(RawTar.header(name: "big", type: UInt8(ascii: "0"), size: 1 << 20) + Array("only ten b".utf8)), ["big"]),
        ("diffid", .wrongDiffID([.file("ok", "fine")]), ["diff_id", "uncompressed content"]),
        ("oversize", .understatedSize([.file("ok", String(repeating: "y", count: 4096))]), ["declared"]),
    ]

    @Test(arguments: cases.map(\.name))
    func hostileLayerIsRefusedAndLeavesNothing(name: String) async throws {
        let item = try #require(Self.cases.first { $0.name == name })
        let reference = "\(TestEnvironment.registry)/hostile-\(name):latest"
        try await item.layer.push(as: try Reference(parsing: reference))

        let daemon = try await Berthd.started()
        do {
            let id = try await daemon.client.pullImage(reference)
            Issue.record("pull of hostile-\(name) succeeded as \(id)")
        } catch {
            for word in item.words {
                #expect(error.message.contains(word), "\(error)")
            }
        }
        #expect(try await daemon.client.listImages().isEmpty)
        for path in ["snapshots/layers", "snapshots/staging", "content/ingest", "content/blobs/sha256", "content/images"] {
            #expect(daemon.entries(path).isEmpty, "\(path) holds \(daemon.entries(path))")
        }
        for path in ["/evil-absolute", "/tmp/evil-through-symlink", "/tmp/evil-traversal", "\(daemon.root)/evil-traversal",
                     "\(daemon.root)/snapshots/evil-traversal"] {
            #expect(!FileSystem.exists(path), "\(path) was created")
        }
        // The daemon is unharmed: a good image still pulls.
        let id = try await daemon.client.pullImage(ref("busybox:latest"))
        #expect(id.hasPrefix("sha256:"))
        await daemon.destroy()
    }
}

/// A one-layer image built to break a pull.
enum HostileLayer: Sendable {
    case entries([TarEntry])
    case raw([UInt8])
    case wrongDiffID([TarEntry])
    case understatedSize([TarEntry])

    func push(as reference: Reference) async throws {
        let directory = "/tmp/berth-it-hostile-\(UInt32.random(in: 0 ... .max))"
        try FileSystem.makeDirectory(directory)
        defer { try? FileSystem.removeTree(directory) }

        var mediaType = MediaType.ociLayerGzip
        let tar: [UInt8]
        var blob: [UInt8]
        switch self {
        case .entries(let entries), .wrongDiffID(let entries), .understatedSize(let entries):
            try TarBuilder.write(entries, to: "\(directory)/layer.tar")
            try TarBuilder.write(entries, to: "\(directory)/layer.tar.gz", compression: .gzip)
            tar = try FileSystem.read("\(directory)/layer.tar") ?? []
            blob = try FileSystem.read("\(directory)/layer.tar.gz") ?? []
        case .raw(let bytes):
            mediaType = MediaType.ociLayer
            tar = bytes
            blob = bytes
        }
        var diffID = SHA256Hasher.digest(tar)
        if case .wrongDiffID = self { diffID = SHA256Hasher.digest(Array("something else".utf8)) }
        var declaredSize = Int64(blob.count)
        if case .understatedSize = self { declaredSize -= 100 }

        var logger = Logger(label: "berth.test.hostile")
        logger.logLevel = .warning
        let client = RegistryClient(
            configuration: RegistryConfiguration(hosts: [reference.domain: RegistryHost(plainHTTP: true)]), logger: logger)
        let layer = Descriptor(mediaType: mediaType, digest: SHA256Hasher.digest(blob), size: declaredSize)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let config = Array(try encoder.encode(ImageConfig(rootfs: .init(diffIDs: [diffID]))))
        let configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: SHA256Hasher.digest(config), size: Int64(config.count))
        let manifest = Array(try encoder.encode(Manifest(config: configDescriptor, layers: [layer])))
        try await client.pushBlob(reference, digest: layer.digest, bytes: blob, credentials: nil)
        try await client.pushBlob(reference, digest: configDescriptor.digest, bytes: config, credentials: nil)
        _ = try await client.pushManifest(reference, mediaType: MediaType.ociManifest, bytes: manifest, credentials: nil)
    }
}
