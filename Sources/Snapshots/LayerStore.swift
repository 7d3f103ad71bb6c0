#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import Foundation
import Synchronization

/// Unpacked layers, one directory per chain ID, shared by every image that has the layer.
///
/// Layout under `root`:
/// - `layers/<chain-id-hex>/diff`: the layer's files, as overlayfs wants a lower directory;
/// - `layers/<chain-id-hex>/link`: the layer's short id; `layer.json`: its `LayerMetadata`;
/// - `l/<short-id>` → `../layers/<chain-id-hex>/diff`: short names so that a mount of 100+
///   layers fits in one page of options (as Docker's overlay2 `l/` links do);
/// - `layers/<chain-id-hex>/usage`: the layer's disk use, measured the first time it is asked for;
/// - `staging/`: layers being unpacked, renamed into `layers/` when complete.
public final class LayerStore: Sendable {
    /// Disk use of a tree: allocated bytes (hard links counted once) and inodes.
    public struct Usage: Equatable, Sendable {
        public var bytes: UInt64
        public var inodes: UInt64
    }

    /// The store's directory.
    public let root: String
    /// Usage of each committed layer measured so far; a committed layer never changes.
    private let measured = Mutex<[Digest: Usage]>([:])

    private var layersDirectory: String { "\(root)/layers" }
    private var linksDirectory: String { "\(root)/l" }
    private var stagingRoot: String { "\(root)/staging" }

    /// Opens (creating where missing) the store at `root`.
    public init(root: String) throws(BerthError) {
        guard !root.contains(","), !root.contains(":") else {
            throw BerthError(.invalidArgument, "layer store \(root): path must not contain ',' or ':' (they separate overlay options)")
        }
        self.root = root
        for directory in [layersDirectory, linksDirectory, stagingRoot] {
            try FileSystem.makeDirectory(directory, mode: 0o700)
        }
    }

    /// The directory of `chainID`'s layer files, whether or not it exists.
    public func diffPath(_ chainID: Digest) -> String { "\(layerDirectory(chainID))/diff" }

    /// Whether `chainID`'s layer is unpacked and committed.
    public func contains(_ chainID: Digest) -> Bool { FileSystem.exists(diffPath(chainID)) }

    /// Every committed layer.
    public func all() -> [Digest] {
        FileSystem.list(layersDirectory).compactMap { name in
            guard let digest = try? Digest(parsing: "sha256:\(name)"), contains(digest) else { return nil }
            return digest
        }.sorted()
    }

    /// The metadata recorded when `chainID` was committed, or nil when it is not stored.
    public func metadata(_ chainID: Digest) throws(BerthError) -> LayerMetadata? {
        guard let bytes = try FileSystem.read("\(layerDirectory(chainID))/layer.json") else { return nil }
        do {
            return try JSONDecoder.layers.decode(LayerMetadata.self, from: Data(bytes))
        } catch {
            throw BerthError(.dataLoss, "layer \(chainID): metadata: \(error)")
        }
    }

    /// A new, empty directory to unpack `chainID` into, on the store's file system so that
    /// `commit` is a rename. Unique per call, so concurrent pulls of one layer never mix.
    public func stagingDirectory(for chainID: Digest) throws(BerthError) -> String {
        let staging = "\(stagingRoot)/\(chainID.short)-\(Self.randomName(length: 12))"
        guard mkdir(staging, 0o700) == 0 else {
            throw BerthError(.internal, "layer \(chainID): create staging \(staging): \(FileSystem.errnoText())")
        }
        let diff = "\(staging)/diff"
        guard mkdir(diff, 0o755) == 0 else {
            throw BerthError(.internal, "layer \(chainID): create staging \(diff): \(FileSystem.errnoText())")
        }
        return diff
    }

    /// Moves a fully unpacked staging directory (from `stagingDirectory(for:)`) into place
    /// as `chainID`. When another unpack of the same layer committed first, ours is
    /// discarded and the call succeeds: both hold the same content.
    public func commit(staging diff: String, as chainID: Digest, metadata: LayerMetadata? = nil) throws(BerthError) {
        let staging = (diff as NSString).deletingLastPathComponent
        guard (staging as NSString).deletingLastPathComponent == stagingRoot, diff == "\(staging)/diff" else {
            throw BerthError(.invalidArgument, "layer \(chainID): \(diff) is not a staging directory of \(root)")
        }
        if contains(chainID) {
            try FileSystem.removeTree(staging)
            return
        }
        let encoded: Data
        do {
            encoded = try JSONEncoder.layers.encode(metadata ?? LayerMetadata(chainID: chainID))
        } catch {
            throw BerthError(.internal, "layer \(chainID): encode metadata: \(error)")
        }
        try FileSystem.atomicWrite(encoded, to: "\(staging)/layer.json")
        let short = try makeShortLink(to: chainID)
        try FileSystem.atomicWrite(Array(short.utf8), to: "\(staging)/link")
        if rename(staging, layerDirectory(chainID)) != 0 {
            let code = errno
            unlink("\(linksDirectory)/\(short)")
            if code == EEXIST || code == ENOTEMPTY {
                try FileSystem.removeTree(staging)
                return
            }
            throw BerthError(.internal, "layer \(chainID): commit \(staging): \(FileSystem.errnoText(code))")
        }
        FileSystem.syncDirectory(layersDirectory)
    }

    /// Deletes `chainID`'s layer. The caller makes sure no snapshot still uses it.
    public func remove(_ chainID: Digest) throws(BerthError) {
        let directory = layerDirectory(chainID)
        guard FileSystem.exists(directory) else {
            throw BerthError(.notFound, "layer \(chainID) not found")
        }
        let short = try? shortID(chainID)
        // Out of `layers/` first, so a crash mid-removal leaves debris in `staging/`
        // (cleared at start) rather than a half-deleted layer.
        let doomed = "\(stagingRoot)/removing-\(chainID.short)-\(Self.randomName(length: 12))"
        guard rename(directory, doomed) == 0 else {
            throw BerthError(.internal, "layer \(chainID): remove: \(FileSystem.errnoText())")
        }
        if let short { unlink("\(linksDirectory)/\(short)") }
        try FileSystem.removeTree(doomed)
    }

    /// Clears what interrupted unpacks and removals left behind; call at daemon start,
    /// before any unpack begins. Best effort: debris left now is retried at the next start.
    public func removeStaleStaging() {
        for name in FileSystem.list(stagingRoot) {
            try? FileSystem.removeTree("\(stagingRoot)/\(name)")
        }
        for name in FileSystem.list(linksDirectory) {
            var info = stat()
            // Links whose layer never got committed (or was removed) point nowhere.
            if stat("\(linksDirectory)/\(name)", &info) != 0 { unlink("\(linksDirectory)/\(name)") }
        }
    }

    /// Disk use of all committed layers. Each layer's tree is walked once, the first time,
    /// and its figure kept (in memory and in the layer's `usage` file, for the next start):
    /// a node agent asks every few seconds, and then this costs a directory listing.
    public func usage() -> Usage {
        let layers = all()
        var total = Usage(bytes: 0, inodes: 0)
        for chainID in layers {
            let usage = usage(of: chainID)
            total.bytes += usage.bytes
            total.inodes += usage.inodes
        }
        let present = Set(layers)
        measured.withLock { cache in cache = cache.filter { present.contains($0.key) } }
        return total
    }

    /// Disk use of one committed layer (its directory: files, link and metadata).
    public func usage(of chainID: Digest) -> Usage {
        if let known = measured.withLock({ $0[chainID] }) { return known }
        let file = "\(layerDirectory(chainID))/usage"
        let recorded = (try? FileSystem.read(file)).flatMap { $0 }.flatMap { bytes -> Usage? in
            let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return fields.count == 2 ? Usage(bytes: fields[0], inodes: fields[1]) : nil
        }
        let usage = recorded ?? {
            let walked = FileSystem.usage(layerDirectory(chainID))
            let usage = Usage(bytes: walked.bytes, inodes: walked.inodes)
            // Best effort: without the file, the next start walks the layer again.
            try? FileSystem.atomicWrite(Array("\(usage.bytes) \(usage.inodes)\n".utf8), to: file, durable: false)
            return usage
        }()
        measured.withLock { $0[chainID] = usage }
        return usage
    }

    func layerDirectory(_ chainID: Digest) -> String { "\(layersDirectory)/\(chainID.encoded)" }

    /// The layer's short id, which names its link in `l/`.
    func shortID(_ chainID: Digest) throws(BerthError) -> String {
        guard let bytes = try FileSystem.read("\(layerDirectory(chainID))/link") else {
            throw BerthError(.notFound, "layer \(chainID) not found")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func makeShortLink(to chainID: Digest) throws(BerthError) -> String {
        while true {
            let short = Self.randomName(length: 10)
            if symlink("../layers/\(chainID.encoded)/diff", "\(linksDirectory)/\(short)") == 0 { return short }
            guard errno == EEXIST else {
                throw BerthError(.internal, "layer \(chainID): create link \(linksDirectory)/\(short): \(FileSystem.errnoText())")
            }
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    static func randomName(length: Int) -> String {
        String((0..<length).map { _ in alphabet.randomElement() ?? "A" })
    }
}

extension JSONEncoder {
    static var layers: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    static var layers: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
