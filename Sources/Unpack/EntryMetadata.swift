#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CXattr
import CArchive

/// Owner, mode, extended attributes and times of one tar entry, applied in the order the
/// kernel requires: `chown` clears setuid bits and `security.capability`, so the mode and
/// the xattrs come after it, and the times come last.
struct EntryMetadata {
    let entry: OpaquePointer
    let name: String
    let applyOwner: Bool

    var uid: uid_t { uid_t(truncatingIfNeeded: archive_entry_uid(entry)) }
    var gid: gid_t { gid_t(truncatingIfNeeded: archive_entry_gid(entry)) }
    var permissions: mode_t { archive_entry_perm(entry) & 0o7777 }

    /// atime and mtime; an entry without an atime gets its mtime, as containerd does.
    var times: (timespec, timespec) {
        let mtime = timespec(tv_sec: time_t(archive_entry_mtime(entry)), tv_nsec: Int(archive_entry_mtime_nsec(entry)))
        guard archive_entry_atime_is_set(entry) != 0 else { return (mtime, mtime) }
        let atime = timespec(tv_sec: time_t(archive_entry_atime(entry)), tv_nsec: Int(archive_entry_atime_nsec(entry)))
        return (atime, mtime)
    }

    /// Everything but the times, on an open file or directory.
    func apply(to fd: Int32) throws(BerthError) {
        if applyOwner && fchown(fd, uid, gid) != 0 { throw entryError(name, "chown") }
        if fchmod(fd, permissions) != 0 { throw entryError(name, "chmod") }
        try forEachXattr { (key, value, size) throws(BerthError) in
            if fsetxattr(fd, key, value, size, 0) != 0 { try xattrFailed(key) }
        }
    }

    /// Everything, on a node that cannot be opened for writing (symlink, device, fifo).
    func apply(at name: String, in parent: Int32, isSymlink: Bool) throws(BerthError) {
        if applyOwner && fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw entryError(self.name, "chown")
        }
        // Symlinks have no mode of their own on Linux.
        if !isSymlink && fchmodat(parent, name, permissions, 0) != 0 { throw entryError(self.name, "chmod") }
        if archive_entry_xattr_count(entry) > 0 {
            // The /proc link names the directory descriptor itself, so nothing on the way
            // can be a symlink planted by the layer; lsetxattr does not follow `name`.
            let path = "/proc/self/fd/\(parent)/\(name)"
            try forEachXattr { (key, value, size) throws(BerthError) in
                if lsetxattr(path, key, value, size, 0) != 0 { try xattrFailed(key) }
            }
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

    private func forEachXattr(_ body: (UnsafePointer<CChar>, UnsafeRawPointer?, Int) throws(BerthError) -> Void) throws(BerthError) {
        guard archive_entry_xattr_reset(entry) > 0 else { return }
        var key: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK {
            guard let key else { continue }
            try body(key, value, size)
        }
    }

    /// `user.*` attributes are advisory and some file systems refuse them; everything
    /// else (capabilities, `trusted.*`) changes what the container can do, so it must land.
    private func xattrFailed(_ key: UnsafePointer<CChar>) throws(BerthError) {
        let code = errno
        let text = String(cString: key)
        if code == EOPNOTSUPP && text.hasPrefix("user.") { return }
        throw entryError(name, "set xattr \(text)", code)
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
