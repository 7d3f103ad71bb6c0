import BerthBase
import Foundation

/// The content address of a build: a SHA-256 over labelled inputs (texts and file contents),
/// so a build whose inputs are unchanged is found in the cache instead of being redone.
public struct CacheKey {
    private let hasher = SHA256Hasher()

    public init(_ kind: String) { add("kind", kind) }

    /// Adds a labelled text. Lengths are hashed too, so no two input lists run together.
    public func add(_ label: String, _ value: String) {
        for part in [label, value] {
            hasher.update(Array("\(part.utf8.count):".utf8))
            hasher.update(Array(part.utf8))
        }
    }

    /// Adds a file's contents under its label (not its path or time: a copy elsewhere hashes
    /// the same).
    public func addFile(_ label: String, path: String) throws(BerthError) {
        add("file", label)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BerthError(.notFound, "cache key: read \(path): \(FileSystem.errnoText())")
        }
        defer { try? handle.close() }
        var total = 0
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw BerthError(.internal, "cache key: read \(path): \(error)")
            }
            if chunk.isEmpty { break }
            total += chunk.count
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        add("size", String(total))
    }

    /// The key, as the 64 hex digits the cache directory is named by. Ends the key.
    public func finish() -> String { hasher.finalize().encoded }
}
