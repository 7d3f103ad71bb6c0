#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CXattr

/// Creates each tar entry inside the layer directory, faithfully (owners, modes, times,
/// xattrs, links, nodes) and turning OCI whiteouts into overlayfs ones.
final class LayerWriter {
    private let directory: LayerDirectory
    private let tar: TarReader
    /// Ownership is only ours to give as root; otherwise files stay the unpacker's, as
    /// with `tar` run by a user.
    private let applyOwner = geteuid() == 0
    /// Directory times are set last: creating their children would change them again.
    private var directoryTimes: [(components: [Substring], atime: timespec, mtime: timespec)] = []

    init(directory: LayerDirectory, tar: TarReader) {
        self.directory = directory
        self.tar = tar
    }

    /// Creates `entry`, reading a regular file's data from the tar reader.
    func write(_ entry: LayerEntry) throws(BerthError) {
        let name = entry.path
        let path = try EntryPath(name, entry: name)
        let metadata = EntryMetadata(entry: entry, applyOwner: applyOwner)
        directory.trimCache()
        guard let leaf = path.name else {
            try metadata.apply(to: directory.root)
            rememberTimes(of: path.components, metadata)
            return
        }
        let parent = try directory.directory(path.parent, entry: name)
        if leaf.hasPrefix(Whiteout.prefix) {
            try writeWhiteout(String(leaf), in: parent, path: path, metadata)
            return
        }
        let leafName = String(leaf)
        switch entry.kind {
        case .hardLink:
            try writeHardLink(leafName, to: entry.linkTarget, in: parent, path: path, entry: name)
        case .regular:
            try writeFile(leafName, in: parent, path: path, metadata)
        case .directory:
            try writeDirectory(leafName, in: parent, path: path, metadata)
        case .symlink:
            try replacing(leafName, in: parent, path: path, entry: name, "symlink") {
                symlinkat(entry.linkTarget, parent, leafName)
            }
            try metadata.apply(at: leafName, in: parent, isSymlink: true)
        case .characterDevice, .blockDevice, .fifo:
            let type = entry.kind == .fifo ? S_IFIFO : entry.kind == .blockDevice ? S_IFBLK : S_IFCHR
            try replacing(leafName, in: parent, path: path, entry: name, "mknod") {
                mknodat(parent, leafName, type | metadata.permissions, entry.device)
            }
            try metadata.apply(at: leafName, in: parent, isSymlink: false)
        }
    }

    /// Sets the deferred directory times, deepest first.
    func finish() throws(BerthError) {
        for (components, atime, mtime) in directoryTimes.reversed() {
            directory.trimCache()
            guard let leaf = components.last else {
                var times = (atime, mtime)
                let status = withUnsafeBytes(of: &times) { futimens(directory.root, $0.bindMemory(to: timespec.self).baseAddress) }
                if status != 0 { throw entryError(".", "set times") }
                continue
            }
            // A later entry may have replaced the directory or a parent; nothing to date then.
            guard let parent = try? directory.directory(components.dropLast(), entry: "", create: false) else { continue }
            _ = setTimes(atime, mtime, at: String(leaf), in: parent)
        }
    }

    private func writeFile(_ leaf: String, in parent: Int32, path: EntryPath, _ metadata: EntryMetadata) throws(BerthError) {
        let name = metadata.name
        let fd = try replacing(leaf, in: parent, path: path, entry: name, "create") {
            openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        defer { close(fd) }
        var offset: Int64 = 0
        try tar.readData { (bytes) throws(BerthError) in
            try writeAll(fd, bytes, at: offset, entry: name)
            offset += Int64(bytes.count)
        }
        try metadata.apply(to: fd)
        try metadata.setTimes(of: fd)
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, entry: String) throws(BerthError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        var position = off_t(offset)
        while remaining > 0 {
            let written = pwrite(fd, base, remaining, position)
            if written < 0 {
                if errno == EINTR { continue }
                throw entryError(entry, "write")
            }
            base += written
            remaining -= written
            position += off_t(written)
        }
    }

    private func writeDirectory(_ leaf: String, in parent: Int32, path: EntryPath, _ metadata: EntryMetadata) throws(BerthError) {
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
        if mkdirat(parent, leaf, 0o700) != 0 {
            guard errno == EEXIST else { throw entryError(metadata.name, "mkdir") }
            // An existing directory is kept (tar merges); anything else is replaced.
            let existing = openat(parent, leaf, flags)
            if existing >= 0 {
                try finishDirectory(existing, path: path, metadata)
                return
            }
            try directory.removeExisting(leaf, in: parent, parentPath: path.parent, entry: metadata.name)
            if mkdirat(parent, leaf, 0o700) != 0 { throw entryError(metadata.name, "mkdir") }
        }
        let fd = openat(parent, leaf, flags)
        guard fd >= 0 else { throw entryError(metadata.name, "open directory") }
        try finishDirectory(fd, path: path, metadata)
    }

    private func finishDirectory(_ fd: Int32, path: EntryPath, _ metadata: EntryMetadata) throws(BerthError) {
        directory.remember(fd, at: path.components)
        try metadata.apply(to: fd)
        rememberTimes(of: path.components, metadata)
    }

    private func rememberTimes(of components: [Substring], _ metadata: EntryMetadata) {
        let (atime, mtime) = metadata.times
        directoryTimes.append((components, atime, mtime))
    }

    private func writeHardLink(_ leaf: String, to target: String, in parent: Int32, path: EntryPath, entry name: String) throws(BerthError) {
        let targetPath = try EntryPath(target, entry: name, what: "hard link target \"\(target)\"")
        guard let targetLeaf = targetPath.name.map(String.init) else {
            throw BerthError(.invalidArgument, "layer entry \"\(name)\": hard link to the layer root")
        }
        if targetPath.components == path.components { return }
        let targetParent = try directory.directory(targetPath.parent, entry: name, create: false)
        while linkat(targetParent, targetLeaf, parent, leaf, 0) != 0 {
            switch errno {
            case ENOENT:
                throw BerthError(.invalidArgument, "layer entry \"\(name)\": hard link target \"\(target)\" does not exist")
            case EEXIST:
                try directory.removeExisting(leaf, in: parent, parentPath: path.parent, entry: name)
            default:
                throw entryError(name, "link to \"\(target)\"")
            }
        }
    }

    private func writeWhiteout(_ leaf: String, in parent: Int32, path: EntryPath, _ metadata: EntryMetadata) throws(BerthError) {
        let name = metadata.name
        switch Whiteout(leaf) {
        case .opaque:
            if fsetxattr(parent, Whiteout.opaqueXattr, "y", 1, 0) != 0 { throw entryError(name, "mark directory opaque") }
        case .ignored:
            break
        case .invalid:
            throw BerthError(.invalidArgument, "layer entry \"\(name)\": invalid whiteout name")
        case .hide(let hidden):
            // Overlayfs hides a lower file behind a 0:0 character device of the same name.
            try replacing(hidden, in: parent, path: path, entry: name, "mknod whiteout") {
                mknodat(parent, hidden, S_IFCHR, 0)
            }
            if applyOwner && fchownat(parent, hidden, metadata.uid, metadata.gid, AT_SYMLINK_NOFOLLOW) != 0 {
                throw entryError(name, "chown whiteout")
            }
        }
    }

    /// Runs `create`; when something already has the name, removes it and tries once more.
    @discardableResult
    private func replacing(
        _ leaf: String, in parent: Int32, path: EntryPath, entry: String, _ action: String, _ create: () -> Int32
    ) throws(BerthError) -> Int32 {
        var result = create()
        if result < 0 && errno == EEXIST {
            try directory.removeExisting(leaf, in: parent, parentPath: path.parent, entry: entry)
            result = create()
        }
        if result < 0 { throw entryError(entry, action) }
        return result
    }
}
