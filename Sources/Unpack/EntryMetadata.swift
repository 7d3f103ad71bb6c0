#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CXattr

/// Owner, mode, extended attributes and times of one tar entry, applied in the order the
/// kernel requires: `chown` clears setuid bits and `security.capability`, so the mode and
/// the xattrs come after it, and the times come last.
struct EntryMetadata {
    let entry: LayerEntry
    let applyOwner: Bool

    var name: String { entry.path }
    var uid: uid_t { entry.uid }
    var gid: gid_t { entry.gid }
    var permissions: mode_t { entry.permissions }

    /// atime and mtime; an entry without an atime gets its mtime, as containerd does.
    var times: (timespec, timespec) {
        let mtime = entry.mtime.system
        return (entry.atime?.system ?? mtime, mtime)
    }

    /// Everything but the times, on an open file or directory.
    func apply(to fd: Int32) throws(BerthError) {
        if applyOwner && fchown(fd, uid, gid) != 0 { throw entryError(name, "chown") }
        if fchmod(fd, permissions) != 0 { throw entryError(name, "chmod") }
        try setXattrs { key, value, size in fsetxattr(fd, key, value, size, 0) }
    }

    /// Everything, on a node that cannot be opened for writing (symlink, device, fifo).
    func apply(at name: String, in parent: Int32, isSymlink: Bool) throws(BerthError) {
        if applyOwner && fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw entryError(self.name, "chown")
        }
        // Symlinks have no mode of their own on Linux.
        if !isSymlink && fchmodat(parent, name, permissions, 0) != 0 { throw entryError(self.name, "chmod") }
        if !entry.xattrs.isEmpty {
            // The /proc link names the directory descriptor itself, so nothing on the way
            // can be a symlink planted by the layer; lsetxattr does not follow `name`.
            let path = "/proc/self/fd/\(parent)/\(name)"
            try setXattrs { key, value, size in lsetxattr(path, key, value, size, 0) }
        }
        try setTimes(at: name, in: parent)
    }

    func setTimes(of fd: Int32) throws(BerthError) {
        let (atime, mtime) = times
        let status = withUnsafeTemporaryAllocation(of: timespec.self, capacity: 2) { buffer in
            buffer[0] = atime
            buffer[1] = mtime
            return futimens(fd, buffer.baseAddress)
        }
        if status != 0 { throw entryError(name, "set times") }
    }

    func setTimes(at name: String, in parent: Int32) throws(BerthError) {
        let (atime, mtime) = times
        if Unpack.setTimes(atime, mtime, at: name, in: parent) != 0 { throw entryError(self.name, "set times") }
    }

    /// Runs `set` (a `setxattr` variant) for each xattr, stopping at the first failure
    /// that matters.
    private func setXattrs(_ set: (UnsafePointer<CChar>, UnsafeRawPointer?, Int) -> Int32) throws(BerthError) {
        for xattr in entry.xattrs {
            let code = xattr.name.withCString { key in
                xattr.value.withUnsafeBytes { set(key, $0.baseAddress, $0.count) == 0 ? 0 : errno }
            }
            // `user.*` attributes are advisory and some file systems refuse them; everything
            // else (capabilities, `trusted.*`) changes what the container can do, so it must land.
            if code != 0 && !(code == EOPNOTSUPP && xattr.name.hasPrefix("user.")) {
                throw entryError(name, "set xattr \(xattr.name)", code)
            }
        }
    }
}

/// `utimensat` without following a final symlink.
func setTimes(_ atime: timespec, _ mtime: timespec, at name: String, in parent: Int32) -> Int32 {
    withUnsafeTemporaryAllocation(of: timespec.self, capacity: 2) { buffer in
        buffer[0] = atime
        buffer[1] = mtime
        return utimensat(parent, name, buffer.baseAddress, AT_SYMLINK_NOFOLLOW)
    }
}
