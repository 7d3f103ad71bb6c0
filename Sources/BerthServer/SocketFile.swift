#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// The socket file on disk: making room for it, its permissions, and removing it again.
enum SocketFile {
    /// Which file a server created, so it never removes a socket someone else made later.
    struct Identity: Sendable, Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// Creates the parent directory and removes a socket left behind by a server that is
    /// gone. A socket that still answers belongs to a running server and is left alone.
    static func prepare(_ path: String) throws(BerthError) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try FileSystem.makeDirectory(String(path[..<slash]))
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw BerthError(.internal, "stat socket \(path): \(FileSystem.errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw BerthError(.failedPrecondition, "socket path \(path) exists and is not a socket; refusing to replace it")
        }
        let probe = connectProbe(path)
        switch probe {
        case 0:
            throw BerthError(.failedPrecondition, "socket \(path) is already in use by another server")
        case ECONNREFUSED:
            // Nobody listens: the socket was left behind by a server that exited without cleaning up.
            if unlink(path) != 0 && errno != ENOENT {
                throw BerthError(.internal, "remove stale socket \(path): \(FileSystem.errnoText())")
            }
        case ENOENT:
            return
        case EAGAIN, ETIMEDOUT:
            throw BerthError(.failedPrecondition, "socket \(path) is already in use by another server (it is not accepting connections)")
        default:
            throw BerthError(.internal, "probe socket \(path): \(FileSystem.errnoText(probe))")
        }
    }

    /// Connects to `path` and hangs up again; the errno of the attempt, 0 when something listens.
    private static func connectProbe(_ path: String) -> Int32 {
        let fd: Int32
        do { fd = try UnixSocket.make() } catch { return errno }
        defer { close(fd) }
        // A listener whose backlog is full makes connect wait; do not wait forever.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return UnixSocket.connect(fd, path) == 0 ? 0 : errno
    }

    /// Sets the socket's mode and, when given, its group (a name or a numeric id).
    static func applyPermissions(_ path: String, mode: UInt32, group: String?) throws(BerthError) {
        if chmod(path, mode_t(mode)) != 0 {
            throw BerthError(.internal, "chmod socket \(path) to \(String(mode, radix: 8)): \(FileSystem.errnoText())")
        }
        guard let group else { return }
        let gid = try groupID(group)
        // uid_t.max is (uid_t)-1: leave the owner as it is.
        if chown(path, uid_t.max, gid) != 0 {
            throw BerthError(.internal, "chown socket \(path) to group \(group): \(FileSystem.errnoText())")
        }
    }

    private static func groupID(_ name: String) throws(BerthError) -> gid_t {
        if let numeric = gid_t(name) { return numeric }
        var entry = Glibc.group()
        var found: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 1 << 14)
        let status = getgrnam_r(name, &entry, &buffer, buffer.count, &found)
        guard status == 0 else {
            throw BerthError(.internal, "look up group \(name): \(FileSystem.errnoText(status))")
        }
        guard found != nil else {
            throw BerthError(.invalidArgument, "socket group \(name): no such group")
        }
        return entry.gr_gid
    }

    static func identity(_ path: String) -> Identity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Removes the socket file if it is still the one this server created.
    static func remove(_ path: String, ifStill identity: Identity?) {
        guard let identity, self.identity(path) == identity else { return }
        unlink(path)
    }
}
