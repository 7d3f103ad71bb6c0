#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Unix stream sockets by path, for the few places that need them below SwiftNIO: probing
/// berthd's socket, the monitor's attach socket, a guest's control channel.
public enum UnixSocket {
    /// A new close-on-exec stream socket.
    public static func make() throws(BerthError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError(.internal, "socket: \(FileSystem.errnoText())") }
        return fd
    }

    /// `bind(2)` of `fd` to `path`: 0, or -1 with errno set (ENAMETOOLONG when the path does
    /// not fit in `sun_path`).
    public static func bind(_ fd: Int32, _ path: String) -> Int32 {
        withAddress(path) { Glibc.bind(fd, $0, $1) }
    }

    /// `connect(2)` of `fd` to `path`: 0, or -1 with errno set.
    public static func connect(_ fd: Int32, _ path: String) -> Int32 {
        withAddress(path) { Glibc.connect(fd, $0, $1) }
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}

/// IPv4 stream sockets by dotted address and port, for the few places that need them below
/// SwiftNIO: berthctl's port-forward listener, a connection inside a pod's network namespace.
public enum TCPSocket {
    /// A new close-on-exec IPv4 stream socket.
    public static func make() throws(BerthError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError(.internal, "socket: \(FileSystem.errnoText())") }
        return fd
    }

    /// `bind(2)` of `fd` to `host:port` (port 0: one the kernel picks): 0, or -1 with errno set
    /// (EINVAL when `host` is no IPv4 address).
    public static func bind(_ fd: Int32, _ host: String = "127.0.0.1", port: UInt16) -> Int32 {
        withAddress(host, port) { Glibc.bind(fd, $0, $1) }
    }

    /// `connect(2)` of `fd` to `host:port`: 0, or -1 with errno set.
    public static func connect(_ fd: Int32, _ host: String = "127.0.0.1", port: UInt16) -> Int32 {
        withAddress(host, port) { Glibc.connect(fd, $0, $1) }
    }

    /// The local port `fd` is bound to, or nil when it is not.
    public static func localPort(_ fd: Int32) -> UInt16? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }

    private static func withAddress(_ host: String, _ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            errno = EINVAL
            return -1
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
