#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// Blobs addressed by their digest, laid out like an OCI image layout:
/// `<root>/blobs/sha256/<hex>`, with writes in flight under `<root>/ingest/`.
///
/// A blob appears under `blobs/` only by an atomic rename after its digest and size were
/// checked, so a reader never sees a partial or unverified blob.
public final class BlobStore: Sendable {
    /// The directory holding `blobs/` and `ingest/`.
    public let root: String

    var blobDirectory: String { "\(root)/blobs/sha256" }
    var ingestDirectory: String { "\(root)/ingest" }

    /// Opens (creating where missing) the store rooted at `root`.
    public init(root: String) throws(BerthError) {
        self.root = root
        try FileSystem.makeDirectory(blobDirectory)
        try FileSystem.makeDirectory(ingestDirectory, mode: 0o700)
    }

    /// Where the blob with `digest` lives once committed.
    public func path(for digest: Digest) -> String {
        "\(root)/blobs/\(digest.algorithm)/\(digest.encoded)"
    }

    /// Whether the blob is committed.
    public func contains(_ digest: Digest) -> Bool {
        size(of: digest) != nil
    }

    /// The size of a committed blob, or nil when it is absent.
    public func size(of digest: Digest) -> Int64? {
        var info = stat()
        guard stat(path(for: digest), &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// The bytes of a committed blob. They were verified when committed and are not hashed again.
    public func read(_ digest: Digest) throws(BerthError) -> [UInt8] {
        guard let bytes = try FileSystem.read(path(for: digest)) else {
            throw BerthError(.notFound, "blob \(digest): not found")
        }
        return bytes
    }

    /// Stores `bytes`, refusing them when `expected` is given and does not match.
    /// Returns the digest, which is all that happens when the blob is already there.
    @discardableResult
    public func write(_ bytes: [UInt8], expected: Digest? = nil) throws(BerthError) -> Digest {
        let actual = SHA256Hasher.digest(bytes)
        if let expected, expected != actual {
            throw BerthError(.invalidArgument, "blob \(expected): digest mismatch (got \(actual))")
        }
        if contains(actual) { return actual }
        let writer = try ingest(expected: actual, size: Int64(bytes.count))
        do throws(BerthError) {
            try writer.write(bytes)
            return try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Starts writing the blob `expected`; `size`, when known, caps what the writer accepts.
    /// Each writer has a file of its own, so concurrent writers of one digest never clash.
    public func ingest(expected: Digest, size: Int64?) throws(BerthError) -> BlobWriter {
        let suffix = String(UInt64.random(in: 0 ... .max), radix: 16)
        let temporary = "\(ingestDirectory)/\(expected.encoded)-\(getpid())-\(suffix)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BerthError(.internal, "blob \(expected): create \(temporary): \(FileSystem.errnoText())")
        }
        return BlobWriter(fd: fd, temporaryPath: temporary, directory: blobDirectory, expected: expected, size: size)
    }

    /// Removes a committed blob; an absent blob counts as removed. Returns false when the file
    /// could not be removed, so garbage collection can leave it for the next round.
    @discardableResult
    public func delete(_ digest: Digest) -> Bool {
        unlink(path(for: digest)) == 0 || errno == ENOENT
    }

    /// Every committed blob, in digest order. Names that are not digests are ignored.
    public func all() -> [Digest] {
        FileSystem.list(blobDirectory)
            .compactMap { name in try? Digest(parsing: "sha256:\(name)") }
            .sorted()
    }

    /// Deletes every ingest file and returns how many there were. Called at daemon start,
    /// before any pull runs, so a pull killed half-way (even by SIGKILL) leaves nothing behind.
    @discardableResult
    public func removeStaleIngests() -> Int {
        var removed = 0
        for name in FileSystem.list(ingestDirectory) where (try? FileSystem.removeTree("\(ingestDirectory)/\(name)")) != nil {
            removed += 1
        }
        return removed
    }
}
