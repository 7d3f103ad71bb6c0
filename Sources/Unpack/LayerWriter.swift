#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CXattr
import CArchive

/// Creates each tar entry inside the layer directory, faithfully (owners, modes, times,
/// xattrs, links, nodes) and turning OCI whiteouts into overlayfs ones.
final class LayerWriter {
    private let directory: LayerDirectory
    private let tar: OpaquePointer
    private let stream: DecompressedStream
    /// Ownership is only ours to give as root; otherwise files stay the unpacker's, as
    /// with `tar` run by a user.
    private let applyOwner = geteuid() == 0
    /// Directory times are set last: creating their children would change them again.
    private var directoryTimes: [(components: [Substring], atime: timespec, mtime: timespec)] = []

    init(directory: LayerDirectory, tar: OpaquePointer, stream: DecompressedStream) {
        self.directory = directory
        self.tar = tar
        self.stream = stream
    }

    func write(_ entry: OpaquePointer) throws(BerthError) {
        let name = Self.text(archive_entry_pathname(entry), orUTF8: archive_entry_pathname_utf8(entry)) ?? ""
        let path = try EntryPath(name, entry: name)
        let metadata = EntryMetadata(entry: entry, name: name, applyOwner: applyOwner)
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
        if let target = Self.text(archive_entry_hardlink(entry), orUTF8: archive_entry_hardlink_utf8(entry)) {
            try writeHardLink(leafName, to: target, in: parent, path: path, entry: name)
            return
        }
        switch archive_entry_filetype(entry) & S_IFMT {
        case S_IFREG:
            try writeFile(leafName, in: parent, path: path, metadata)
        case S_IFDIR:
            try writeDirectory(leafName, in: parent, path: path, metadata)
        case S_IFLNK:
            let target = Self.text(archive_entry_symlink(entry), orUTF8: archive_entry_symlink_utf8(entry)) ?? ""
            try replacing(leafName, in: parent, path: path, entry: name, "symlink") {
                symlinkat(target, parent, leafName)
            }
            try metadata.apply(at: leafName, in: parent, isSymlink: true)
        case S_IFCHR, S_IFBLK, S_IFIFO:
            let mode = (archive_entry_filetype(entry) & S_IFMT) | metadata.permissions
            try replacing(leafName, in: parent, path: path, entry: name, "mknod") {
                mknodat(parent, leafName, mode, archive_entry_rdev(entry))
            }
            try metadata.apply(at: leafName, in: parent, isSymlink: false)
        default:
            throw BerthError(.invalidArgument, "layer entry \"\(name)\": unsupported entry type \(String(archive_entry_filetype(entry), radix: 8))")
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
        var end: Int64 = 0
        while true {
            var block: UnsafeRawPointer?
            var length = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(tar, &block, &length, &offset)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                throw stream.failure ?? BerthError(.dataLoss, "layer entry \"\(name)\": read data: \(DecompressedStream.errorText(tar))")
            }
            // Offsets skip the holes of sparse files.
            try writeAll(fd, UnsafeRawBufferPointer(start: block, count: length), at: offset, entry: name)
            end = offset + Int64(length)
        }
        let size = archive_entry_size(metadata.entry)
        if archive_entry_size_is_set(metadata.entry) != 0 && size > end && ftruncate(fd, off_t(size)) != 0 {
            throw entryError(name, "truncate")
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

    private static func text(_ native: UnsafePointer<CChar>?, orUTF8 utf8: @autoclosure () -> UnsafePointer<CChar>?) -> String? {
        if let native { return String(cString: native) }
        if let converted = utf8() { return String(cString: converted) }
        return nil
    }
}
