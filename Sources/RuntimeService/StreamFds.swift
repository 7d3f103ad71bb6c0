import BerthBase
import CLinux
import Foundation
import Glibc
import Synchronization

/// Blocking descriptor work for streaming sessions, each on a thread of its own.
enum StreamFds {
    /// Reads `fd` on a dedicated thread until end of file (or until `stop` is set and the
    /// descriptor is quiet), yielding each chunk; closes `fd` at the end.
    static func chunks(_ fd: Int32, stop: CancellationFlag) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 32768)
                while true {
                    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&entry, 1, 100)
                    if ready < 0 && errno == EINTR { continue }
                    if ready == 0 {
                        if stop.isCancelled { break }
                        continue
                    }
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                    if count <= 0 { break }
                    continuation.yield(Array(buffer[..<count]))
                }
                close(fd)
                continuation.finish()
            }
            thread.name = "berth-stream-read"
            thread.stackSize = 1 << 19
            thread.start()
        }
    }

    /// Writes all of `bytes` to `fd` on a blocking thread; false when the reader is gone.
    static func write(_ fd: Int32, _ bytes: [UInt8]) async -> Bool {
        (try? await runBlocking(name: "berth-stream-write") { _ in writeAll(fd, bytes) }) ?? false
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == ENOTSOCK {
                let w = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { return false }
                offset += w
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    static func duplicate(_ fd: Int32) throws(BerthError) -> Int32 {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw BerthError(.internal, "dup: \(FileSystem.errnoText())") }
        return copy
    }

    /// Connects to a Unix socket whose path may exceed `sun_path`: through
    /// `/proc/self/fd/<dir>/<name>`.
    static func connectUnix(_ path: String) throws(BerthError) -> Int32 {
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        let directory = berth_open_path(String(path[..<slash]))
        guard directory >= 0 else { throw BerthError(.notFound, "open \(path): \(FileSystem.errnoText())") }
        defer { close(directory) }
        let short = "/proc/self/fd/\(directory)/\(path[path.index(after: slash)...])"
        let fd = try UnixSocket.make()
        let rc = UnixSocket.connect(fd, short)
        guard rc == 0 else {
            let text = FileSystem.errnoText()
            close(fd)
            throw BerthError(.unavailable, "connect \(path): \(text)")
        }
        return fd
    }

    /// Connects to 127.0.0.1:`port` inside the network namespace of process `pid`: the
    /// socket is made on a thread that joins that namespace (setns is per thread) and then
    /// returns to its own.
    static func connectInNetworkNamespace(pid: Int32, port: UInt16) async throws(BerthError) -> Int32 {
        let result: Result<Int32, BerthError>
        do {
            result = try await runBlocking(name: "berth-port-forward") { _ in
                let cloneNewNet: Int32 = 0x4000_0000
                let own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
                let target = open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC)
                defer {
                    if own >= 0 { close(own) }
                    if target >= 0 { close(target) }
                }
                guard own >= 0, target >= 0 else { return .failure(BerthError(.notFound, "network namespace of \(pid): \(FileSystem.errnoText())")) }
                guard berth_setns(target, cloneNewNet) == 0 else { return .failure(BerthError(.internal, "setns net: \(FileSystem.errnoText())")) }
                defer { _ = berth_setns(own, cloneNewNet) }
                let fd: Int32
                do throws(BerthError) { fd = try TCPSocket.make() } catch { return .failure(error) }
                guard TCPSocket.connect(fd, port: port) == 0 else {
                    let text = FileSystem.errnoText()
                    close(fd)
                    return .failure(BerthError(.unavailable, "connect 127.0.0.1:\(port) in the pod: \(text)"))
                }
                return .success(fd)
            }
        } catch {
            throw BerthError.wrapping(error, context: "port forward")
        }
        return try result.get()
    }
}
