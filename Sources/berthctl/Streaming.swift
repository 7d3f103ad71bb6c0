import ArgumentParser
import BerthBase
import BerthClient
import CRI
import Dispatch
import Foundation
import Glibc
import StreamProtocol

/// The terminal berthctl runs on, switched to raw mode for `-t` and restored afterwards.
enum Terminal {
    static func size() -> TerminalSize? {
        var ws = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0 else { return nil }
        return TerminalSize(width: ws.ws_col, height: ws.ws_row)
    }

    /// Puts stdin's terminal in raw mode; returns the settings to restore, nil when stdin is
    /// not a terminal.
    static func makeRaw() -> termios? {
        guard isatty(0) == 1 else { return nil }
        var old = termios()
        guard tcgetattr(0, &old) == 0 else { return nil }
        var raw = old
        cfmakeraw(&raw)
        tcsetattr(0, TCSANOW, &raw)
        return old
    }

    static func restore(_ settings: termios?) {
        guard var settings else { return }
        tcsetattr(0, TCSANOW, &settings)
    }
}

/// Runs the channel protocol at `url` with this process's stdio: stdin to channel 0 (and,
/// on v5, its end as a close of channel 0), stdout and stderr from channels 1 and 2, window
/// sizes on SIGWINCH; returns the exit code the status channel carries.
func runChannelStream(_ session: Session, url: String, stdin: Bool, tty: Bool) async throws -> Int32 {
    try await session.client.withStream(url: url, protocols: StreamProtocols.channel) { stream in
        let saved = tty ? Terminal.makeRaw() : nil
        defer { Terminal.restore(saved) }
        let v5 = stream.subprotocol == StreamProtocols.v5
        var tasks: [Task<Void, Never>] = []
        var winch: (any DispatchSourceSignal)?
        if tty {
            if let size = Terminal.size() { await stream.send(.resize, size.encoded) }
            signal(SIGWINCH, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGWINCH)
            source.setEventHandler {
                if let size = Terminal.size() { Task { await stream.send(.resize, size.encoded) } }
            }
            source.resume()
            winch = source
        }
        if stdin {
            let input = StandardInput.chunks()
            tasks.append(Task {
                for await chunk in input { await stream.send(.stdin, chunk) }
                if v5 { await stream.send(ChannelFrame.closing(.stdin).encoded) }
            })
        }
        defer {
            winch?.cancel()
            for task in tasks { task.cancel() }
        }
        var code: Int32 = 0
        for await message in stream.messages {
            guard let frame = ChannelFrame(decoding: message) else { continue }
            switch StreamChannel(rawValue: frame.channel) {
            case .stdout: FileHandle.standardOutput.write(Data(frame.payload))
            case .stderr: FileHandle.standardError.write(Data(frame.payload))
            case .error:
                if let status = StreamStatus(decoding: frame.payload) {
                    code = status.exitCode
                    if case .failure(let text) = status.outcome {
                        FileHandle.standardError.write(Data("berthctl: \(text)\n".utf8))
                    }
                } else {
                    FileHandle.standardError.write(Data(frame.payload))
                    code = 1
                }
            default: break
            }
        }
        return code
    }
}

/// This process's stdin, read on a thread of its own.
enum StandardInput {
    static func chunks() -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 16384)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    continuation.yield(Array(buffer[..<n]))
                }
                continuation.finish()
            }
            thread.start()
        }
    }
}

/// `berthctl attach [-i] [-t] CONTAINER`: the container's output (and, with `-i`, stdin).
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attach to a running container.")

    @ParentCommand var root: Berthctl

    @Flag(name: .shortAndLong, help: "Send stdin to the container (it must have been created with stdin).")
    var interactive = false

    @Flag(name: [.customShort("t"), .long], help: "The container has a TTY: use the terminal raw and pass its size.")
    var tty = false

    @Argument(help: "The container id, or a unique prefix of it.")
    var container: String

    func run() async throws {
        let code = try await root.withSession { session in
            let id = try await session.resolveContainer(container)
            var request = Runtime_V1_AttachRequest()
            request.containerID = id
            request.stdin = interactive
            request.tty = tty
            request.stdout = true
            request.stderr = !tty
            let response = try await session.call(Method.runtime("Attach"), request, as: Runtime_V1_AttachResponse.self)
            return try await runChannelStream(session, url: response.url, stdin: interactive, tty: tty)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// `berthctl port-forward POD [LOCAL:]REMOTE…`: listens on 127.0.0.1:LOCAL and carries each
/// connection over a stream of its own to 127.0.0.1:REMOTE inside the pod.
struct PortForward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "port-forward", abstract: "Forward local ports to ports inside a pod.")

    @ParentCommand var root: Berthctl

    @Argument(help: "The pod id, or a unique prefix of it.")
    var pod: String

    @Argument(help: "LOCAL:REMOTE port pairs (a bare port uses the same number on both sides).")
    var ports: [String]

    func parsed() throws -> [(local: UInt16, remote: UInt16)] {
        try ports.map { text in
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let remote = UInt16(parts.last!), remote > 0,
                  let local = parts.count == 2 ? UInt16(parts[0]) : remote else {
                throw ValidationError("bad port pair \(text); use LOCAL:REMOTE")
            }
            return (local, remote)
        }
    }

    func validate() throws {
        if ports.isEmpty { throw ValidationError("name at least one LOCAL:REMOTE pair") }
        _ = try parsed()
    }

    func run() async throws {
        let pairs = try parsed()
        try await root.withSession { session in
            let id = try await session.resolvePods([pod]).first ?? pod
            try await withThrowingTaskGroup(of: Void.self) { group in
                for pair in pairs {
                    let listener = try LocalListener(port: pair.local)
                    print("Forwarding from 127.0.0.1:\(listener.port) -> \(pair.remote)")
                    group.addTask {
                        while let client = await listener.accept() {
                            Task { await forward(session, pod: id, remote: pair.remote, client: client) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

/// One local connection relayed over its own port-forward stream.
func forward(_ session: Session, pod: String, remote: UInt16, client: Int32) async {
    // The reader thread owns the socket and closes it when its reads end; shutting the socket
    // down ends them (closing it here could pull it from under a blocked read).
    let input = LocalSocket.chunks(client)
    defer { shutdown(client, Int32(SHUT_RDWR)) }
    do {
        var request = Runtime_V1_PortForwardRequest()
        request.podSandboxID = pod
        request.port = [Int32(remote)]
        let response = try await session.call(Method.runtime("PortForward"), request, as: Runtime_V1_PortForwardResponse.self)
        try await session.client.withStream(url: response.url, protocols: [StreamProtocols.portForward]) { stream in
            let sender = Task {
                for await chunk in input { await stream.send(ChannelFrame(channel: 0, payload: chunk).encoded) }
            }
            defer { sender.cancel() }
            var seen: Set<UInt8> = []
            for await message in stream.messages {
                guard let frame = ChannelFrame(decoding: message) else { continue }
                var payload = frame.payload
                // The first message on each channel starts with the port.
                if seen.insert(frame.channel).inserted { payload = Array(payload.dropFirst(2)) }
                if frame.channel == 1, !payload.isEmpty {
                    FileHandle.standardError.write(Data("berthctl: port \(remote): \(String(decoding: payload, as: UTF8.self))\n".utf8))
                } else if frame.channel == 0, !payload.isEmpty, !LocalSocket.writeAll(client, payload) {
                    break
                }
            }
        }
    } catch {
        FileHandle.standardError.write(Data("berthctl: port \(remote): \(error)\n".utf8))
    }
}

/// A TCP listener on 127.0.0.1.
final class LocalListener: Sendable {
    let fd: Int32
    let port: UInt16

    init(port: UInt16) throws {
        let fd = try TCPSocket.make()
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard TCPSocket.bind(fd, port: port) == 0, listen(fd, 16) == 0, let actual = TCPSocket.localPort(fd) else {
            let message = FileSystem.errnoText()
            close(fd)
            throw BerthError(.unavailable, "listen on 127.0.0.1:\(port): \(message)")
        }
        self.port = actual
    }

    func accept() async -> Int32? {
        let fd = self.fd
        return try? await runBlocking(name: "berthctl-accept") { _ in
            while true {
                let client = Glibc.accept(fd, nil, nil)
                if client < 0 && errno == EINTR { continue }
                return client >= 0 ? client : nil
            }
        } ?? nil
    }
}

enum LocalSocket {
    /// What `fd` yields, read on a thread of its own that closes `fd` once reads end.
    static func chunks(_ fd: Int32) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 32768)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    continuation.yield(Array(buffer[..<n]))
                }
                close(fd)
                continuation.finish()
            }
            thread.start()
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
