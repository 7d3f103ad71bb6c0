#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// The unpack target, reached only through descriptors opened component by component with
/// `O_NOFOLLOW`: whatever symlinks earlier entries created, no later entry is written
/// outside it. Nothing here depends on the working directory, so layers unpack in parallel.
final class LayerDirectory {
    let root: Int32
    /// Open directories by path relative to the root; tar entries come grouped by
    /// directory, so most lookups hit.
    private var cache: [String: Int32] = [:]
    private static let cacheLimit = 128

    init(path: String) throws(BerthError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BerthError(.internal, "unpack into \(path): open: \(FileSystem.errnoText())")
        }
        root = fd
    }

    deinit {
        closeAll()
        close(root)
    }

    /// Bounds the open descriptors; only called between entries, when no descriptor
    /// from the cache is in use.
    func trimCache() {
        if cache.count >= Self.cacheLimit { closeAll() }
    }

    private func closeAll() {
        for fd in cache.values { close(fd) }
        cache.removeAll(keepingCapacity: true)
    }

    /// The directory at `components`, created (mode 0755, owned by the unpacker) where
    /// missing unless `create` is false. Refuses to pass through a symlink or a non-directory.
    func directory(_ components: ArraySlice<Substring>, entry: String, create: Bool = true) throws(BerthError) -> Int32 {
        guard let last = components.last else { return root }
        let key = components.joined(separator: "/")
        if let fd = cache[key] { return fd }
        let parent = try directory(components.dropLast(), entry: entry, create: create)
        let fd = try openDirectory(last, in: parent, relativePath: key, entry: entry, create: create)
        cache[key] = fd
        return fd
    }

    /// Remembers a directory the writer just opened, since its children usually follow.
    func remember(_ fd: Int32, at components: [Substring]) {
        let key = components.joined(separator: "/")
        if let old = cache.updateValue(fd, forKey: key) { close(old) }
    }

    private func openDirectory(
        _ name: Substring, in parent: Int32, relativePath: String, entry: String, create: Bool
    ) throws(BerthError) -> Int32 {
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
        var fd = name.withCString { openat(parent, $0, flags) }
        if fd < 0 && errno == ENOENT && create {
            let made = name.withCString { mkdirat(parent, $0, 0o755) }
            if made != 0 && errno != EEXIST {
                throw entryError(entry, "mkdir \"\(relativePath)\"")
            }
            fd = name.withCString { openat(parent, $0, flags) }
        }
        guard fd < 0 else { return fd }
        let code = errno
        if code == ELOOP || code == ENOTDIR {
            var info = stat()
            if name.withCString({ fstatat(parent, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 {
                if info.st_mode & S_IFMT == S_IFLNK {
                    throw BerthError(.invalidArgument, "layer entry \"\(entry)\": path passes through symlink \"\(relativePath)\"")
                }
                throw BerthError(.invalidArgument, "layer entry \"\(entry)\": \"\(relativePath)\" is not a directory")
            }
        }
        if code == ENOENT {
            throw BerthError(.invalidArgument, "layer entry \"\(entry)\": \"\(relativePath)\" does not exist")
        }
        throw entryError(entry, "open \"\(relativePath)\"", code)
    }

    /// Removes whatever is at `name` in `parent` (a whole tree for a directory), so an
    /// entry can replace it as tar does.
    func removeExisting(_ name: String, in parent: Int32, parentPath: ArraySlice<Substring>, entry: String) throws(BerthError) {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR else { throw entryError(entry, "remove existing \"\(name)\"") }
        let removed = parentPath.isEmpty ? name : parentPath.joined(separator: "/") + "/" + name
        forget(below: removed)
        try removeTree(name, in: parent, entry: entry)
    }

    /// Drops cached descriptors of a directory about to be removed and of all below it.
    private func forget(below path: String) {
        let prefix = path + "/"
        for (key, fd) in cache where key == path || key.hasPrefix(prefix) {
            close(fd)
            cache[key] = nil
        }
    }

    private func removeTree(_ name: String, in parent: Int32, entry: String) throws(BerthError) {
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let stream = fdopendir(fd) else {
            throw entryError(entry, "open existing directory \"\(name)\"")
        }
        defer { closedir(stream) }
        while let item = readdir(stream) {
            let child = withUnsafePointer(to: &item.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if child == "." || child == ".." { continue }
            if item.pointee.d_type == UInt8(DT_DIR) {
                try removeTree(child, in: fd, entry: entry)
            } else if unlinkat(fd, child, 0) != 0 && errno != ENOENT {
                throw entryError(entry, "remove existing \"\(child)\"")
            }
        }
        if unlinkat(parent, name, AT_REMOVEDIR) != 0 {
            throw entryError(entry, "remove existing directory \"\(name)\"")
        }
    }
}

/// A failed system call while writing an entry.
func entryError(_ entry: String, _ action: String, _ code: Int32 = errno) -> BerthError {
    BerthError(.internal, "layer entry \"\(entry)\": \(action): \(FileSystem.errnoText(code))")
}
