#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import Dispatch
import Foundation
import Synchronization

/// Name resolution and TCP connects with a deadline.
enum Dialer {
    /// Connects to `host:port`, trying each address it resolves to in turn. Every address
    /// but the last gets at most half the time left, so one that black-holes the connect
    /// leaves time for the next (curl splits the time the same way).
    static func connect(
        host: String, port: Int, role: String = "", deadline: UInt64, seconds: Int, flag: CancellationFlag
    ) throws(TransferError) -> Connection {
        let addresses = try resolve(host: host, port: port, role: role, deadline: deadline, seconds: seconds, flag: flag)
        var failures: [String] = []
        for (index, address) in addresses.enumerated() {
            if flag.isCancelled { throw .cancelled }
            let now = monotonicNanoseconds()
            let last = index == addresses.count - 1
            let attemptDeadline = last || now >= deadline ? deadline : now + (deadline - now) / 2
            let peer = "\(role)\(address.text)"
            switch attempt(address, peer: peer, deadline: attemptDeadline, overall: deadline, seconds: seconds, flag: flag) {
            case .success(let fd):
                return Connection(fd: fd, peer: peer, flag: flag, deadline: deadline, seconds: seconds)
            case .failure(let failure) where failure.cancelled:
                throw .cancelled
            case .failure(let failure):
                failures.append("\(failure)")
            }
        }
        throw .connection(failures.joined(separator: "; "))
    }

    struct Address: Sendable {
        var storage: sockaddr_storage
        var length: socklen_t
        var family: Int32
        /// `127.0.0.1:5000`, `[::1]:443`.
        var text: String
    }

    /// Resolves `host` on a helper thread, since `getaddrinfo` can neither be timed out nor
    /// interrupted, and waits for it in slices of at most 250 ms so that the connect deadline
    /// and `flag` still apply. An abandoned helper finishes on its own and frees what it got.
    static func resolve(
        host: String, port: Int, role: String = "", deadline: UInt64, seconds: Int, flag: CancellationFlag
    ) throws(TransferError) -> [Address] {
        if flag.isCancelled { throw .cancelled }
        // A numeric address never waits on DNS: no thread needed.
        if IPAddress(host) != nil { return try lookup(host: host, port: port, role: role).get() }
        let box = ResolutionBox()
        let thread = Thread {
            box.finish(lookup(host: host, port: port, role: role))
        }
        thread.name = "berth-resolve"
        thread.start()
        while true {
            if let result = box.take() { return try result.get() }
            if flag.isCancelled { throw .cancelled }
            let now = monotonicNanoseconds()
            guard now < deadline else { throw .connection("\(role)\(host): name resolution timed out after \(seconds) s") }
            let slice = min(250_000_000, deadline - now)
            _ = box.done.wait(timeout: .now() + .nanoseconds(Int(slice)))
        }
    }

    /// Where the helper thread leaves its answer; whichever side is last to let go of it frees it.
    private final class ResolutionBox: Sendable {
        let done = DispatchSemaphore(value: 0)
        private let result = Mutex<Result<[Address], TransferError>?>(nil)

        func finish(_ outcome: Result<[Address], TransferError>) {
            result.withLock { $0 = outcome }
            done.signal()
        }

        func take() -> Result<[Address], TransferError>? { result.withLock { $0 } }
    }

    /// The blocking lookup itself. The addrinfo list is copied out and freed here, on the
    /// thread that made it, so nothing is left behind if the caller has stopped waiting.
    private static func lookup(host: String, port: Int, role: String) -> Result<[Address], TransferError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (IPAddress(host) != nil ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let result = getaddrinfo(host, String(port), &hints, &list)
        guard result == 0 else {
            let reason = result == EAI_SYSTEM ? FileSystem.errnoText() : String(cString: gai_strerror(result))
            return .failure(.connection("\(role)\(host): no address (\(reason))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let source = info.ai_addr, info.ai_addrlen <= socklen_t(MemoryLayout<sockaddr_storage>.size) else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(info.ai_addrlen))) }
            let text = numericHost(source, info.ai_addrlen)
            let shown = info.ai_family == AF_INET6 ? "[\(text)]:\(port)" : "\(text):\(port)"
            if !addresses.contains(where: { $0.text == shown }) {
                addresses.append(Address(storage: storage, length: info.ai_addrlen, family: info.ai_family, text: shown))
            }
        }
        guard !addresses.isEmpty else { return .failure(.connection("\(role)\(host): no address")) }
        return .success(addresses)
    }

    private static func numericHost(_ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> String {
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private struct Failure: Error, CustomStringConvertible {
        var description: String
        var cancelled = false
        static let cancelled = Failure(description: "cancelled", cancelled: true)
    }

    private static func attempt(
        _ address: Address, peer: String, deadline: UInt64, overall: UInt64, seconds: Int, flag: CancellationFlag
    ) -> Result<Int32, Failure> {
        let step = "connect \(peer)"
        // Close-on-exec from the start: berthd forks shims while pulls run.
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure(description: "\(step): socket: \(FileSystem.errnoText())")) }
        var storage = address.storage
        let started = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        if started != 0, errno != EINPROGRESS {
            let reason = FileSystem.errnoText()
            close(fd)
            return .failure(Failure(description: "\(step): \(reason)"))
        }
        while started != 0 {
            if flag.isCancelled {
                close(fd)
                return .failure(.cancelled)
            }
            let now = monotonicNanoseconds()
            guard now < deadline else {
                close(fd)
                let after = deadline == overall ? " after \(seconds) s" : ""
                return .failure(Failure(description: "\(step): timed out\(after)"))
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(250, (deadline - now) / 1_000_000 + 1)))
            if ready < 0, errno != EINTR {
                let reason = FileSystem.errnoText()
                close(fd)
                return .failure(Failure(description: "\(step): poll: \(reason)"))
            }
            guard ready > 0 else { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 {
                close(fd)
                return .failure(Failure(description: "\(step): \(FileSystem.errnoText(error))"))
            }
            break
        }
        // Requests are written in a few pieces; Nagle would hold the later ones back.
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return .success(fd)
    }
}
