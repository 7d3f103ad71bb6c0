#if canImport(Glibc)
import Glibc
#endif

/// One entry of a layer tar, described before it is written. Paths are relative to the
/// image root, without a leading slash, the way Docker and BuildKit write layers.
struct LayerEntry: Sendable {
    enum Content: Sendable {
        case directory
        case bytes([UInt8])
        /// A regular file copied from the host; `size` is what was seen when it was chosen.
        case hostFile(path: String, size: Int64)
        case symlink(target: String)
    }

    var path: String
    var content: Content
    var permissions: mode_t
    var uid: Int64 = 0
    var gid: Int64 = 0

    static func directory(_ path: String, permissions: mode_t = 0o755, uid: Int64 = 0, gid: Int64 = 0) -> LayerEntry {
        LayerEntry(path: path, content: .directory, permissions: permissions, uid: uid, gid: gid)
    }

    static func file(_ path: String, _ text: String, permissions: mode_t = 0o644) -> LayerEntry {
        LayerEntry(path: path, content: .bytes(Array(text.utf8)), permissions: permissions)
    }

    static func symlink(_ path: String, to target: String) -> LayerEntry {
        LayerEntry(path: path, content: .symlink(target: target), permissions: 0o777)
    }

    /// An OCI whiteout: the file `path` of a lower layer is deleted.
    static func whiteout(of path: String) -> LayerEntry {
        let (directory, name) = split(path)
        return file(directory.isEmpty ? ".wh.\(name)" : "\(directory)/.wh.\(name)", "")
    }

    /// An OCI opaque marker: what lower layers hold below `directory` is hidden.
    static func opaque(_ directory: String) -> LayerEntry {
        file("\(directory)/.wh..wh..opq", "")
    }

    var size: Int64 {
        switch content {
        case .directory, .symlink: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .hostFile(_, let size): size
        }
    }

    private static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }
}

extension Array where Element == LayerEntry {
    /// The entries in tar order — sorted by path, so a parent always precedes its children —
    /// with a 0755 root-owned directory added for every parent that is not listed.
    func normalized() -> [LayerEntry] {
        var byPath = [String: LayerEntry]()
        for entry in self { byPath[entry.path] = entry }
        for entry in self {
            var parent = entry.path
            while let slash = parent.lastIndex(of: "/") {
                parent = String(parent[..<slash])
                if byPath[parent] == nil { byPath[parent] = .directory(parent) }
            }
        }
        return byPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }
}
