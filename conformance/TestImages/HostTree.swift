import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// Picks real host files for the `large` image: a depth-first walk of fixed roots in sorted
/// order, taking regular files and symlinks until each root's byte budget is spent. Real files
/// give realistic compression ratios; the fixed order makes the choice the same every run.
enum HostTree {
    struct Root: Sendable {
        var path: String
        var budget: Int64
    }

    /// Files bigger than this are passed over, so no single file unbalances a layer.
    static let largestFile: Int64 = 16 << 20

    static func select(_ roots: [Root]) -> [LayerEntry] {
        var picked = [LayerEntry]()
        for root in roots {
            var remaining = root.budget
            walk(root.path, remaining: &remaining, into: &picked)
        }
        return picked
    }

    /// Splits entries, in order, into `count` groups of roughly equal byte size.
    static func split(_ entries: [LayerEntry], into count: Int) -> [[LayerEntry]] {
        let total = entries.reduce(Int64(0)) { $0 + $1.size }
        let share = max(1, total / Int64(count))
        var groups = [[LayerEntry]](repeating: [], count: count)
        var running: Int64 = 0
        for entry in entries {
            let slot = min(count - 1, Int(running / share))
            groups[slot].append(entry)
            running += entry.size
        }
        return groups
    }

    private static func walk(_ directory: String, remaining: inout Int64, into picked: inout [LayerEntry]) {
        for name in FileSystem.list(directory).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard remaining > 0 else { return }
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let relative = String(path.dropFirst())
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                walk(path, remaining: &remaining, into: &picked)
            case S_IFLNK:
                if let target = linkTarget(path) { picked.append(.symlink(relative, to: target)) }
            case S_IFREG:
                let size = Int64(info.st_size)
                guard size <= largestFile, access(path, R_OK) == 0 else { continue }
                // Permission bits only: no set-uid helpers from the host in a test image.
                picked.append(LayerEntry(path: relative, content: .hostFile(path: path, size: size), permissions: info.st_mode & 0o777))
                remaining -= size
            default:
                continue  // sockets, fifos and devices have no place in an image
            }
        }
    }

    private static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
