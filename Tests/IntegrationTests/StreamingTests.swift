import BerthBase
import BerthClient
import CRI
import Foundation
import StreamProtocol
import Testing

/// What a channel-protocol stream delivered.
struct StreamResult: Sendable {
    var stdout = ""
    var stderr = ""
    var status: StreamStatus?
}

/// Calls a streaming CRI method and returns the URL it hands out.
func streamURL<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ daemon: Berthd, _ method: String, _ request: Request, _ response: Response.Type, url: (Response) -> String
) async throws -> String {
    url(try await daemon.client.call("runtime.v1.RuntimeService/\(method)", request, as: Response.self))
}

import SwiftProtobuf

/// Reads a channel stream to its end, running `interact` alongside with the connection and a
/// way to wait for output containing some text.
func collect(
    _ daemon: Berthd, url: String,
    interact: @escaping @Sendable (StreamClientConnection, StreamOutput) async -> Void = { _, _ in }
) async throws -> StreamResult {
    try await daemon.client.withStream(url: url, protocols: StreamProtocols.channel) { stream in
        let output = StreamOutput()
        let task = Task { await interact(stream, output) }
        for await message in stream.messages {
            guard let frame = ChannelFrame(decoding: message) else { continue }
            await output.add(frame)
        }
        task.cancel()
        return await output.result
    }
}

actor StreamOutput {
    var result = StreamResult()

    func add(_ frame: ChannelFrame) {
        switch StreamChannel(rawValue: frame.channel) {
        case .stdout: result.stdout += String(decoding: frame.payload, as: UTF8.self)
        case .stderr: result.stderr += String(decoding: frame.payload, as: UTF8.self)
        case .error: result.status = StreamStatus(decoding: frame.payload)
        default: break
        }
    }

    /// Waits (up to 10 s) until stdout contains `text`.
    func waitFor(_ text: String) async -> Bool {
        for _ in 0..<200 {
            if result.stdout.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// Exec, Attach and PortForward through the one-time WebSocket URLs on berthd's socket.
@Suite(.serialized, .enabled(if: TestEnvironment.ready, TestEnvironment.reason))
struct StreamingTests {
    func exec(_ daemon: Berthd, _ request: Runtime_V1_ExecRequest) async throws -> String {
        try await streamURL(daemon, "Exec", request, Runtime_V1_ExecResponse.self) { $0.url }
    }

    func cleanup(_ daemon: Berthd) async {
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    @Test func execStreamsOutputAndExitCodeAndURLsAreOneTime() async throws {
        let daemon = try await Berthd.started()
        let (podID, id) = try await Pods.run(daemon, pod: Pods.sandboxConfig("stream-exec"), container: Pods.containerConfig("main", command: ["sleep", "600"]))

        let url = try await exec(daemon, Runtime_V1_ExecRequest.streamed(id, ["sh", "-c", "echo out; echo err >&2; exit 3"]))
        #expect(url.hasPrefix("http://berth/stream/") && url.count >= "http://berth/stream/".count + 64)
        let failed = try await collect(daemon, url: url)
        #expect(failed.stdout == "out\n")
        #expect(failed.stderr == "err\n")
        #expect(failed.status == StreamStatus(.exitCode(3)))

        let ok = try await collect(daemon, url: try await exec(daemon, Runtime_V1_ExecRequest.streamed(id, ["echo", "fine"])))
        #expect(ok.stdout == "fine\n" && ok.stderr.isEmpty)
        #expect(ok.status == StreamStatus(.success))

        // Used once: refused the second time.
        await #expect(throws: (any Error).self) { _ = try await collect(daemon, url: url) }
        try await daemon.client.removePodSandbox(podID)
        await cleanup(daemon)
    }

    @Test func unusedURLExpires() async throws {
        let daemon = try await Berthd.started(extraConfig: "[streaming]\ntoken_timeout = 1")
        let (podID, id) = try await Pods.run(daemon, pod: Pods.sandboxConfig("stream-expiry"), container: Pods.containerConfig("main", command: ["sleep", "600"]))
        let url = try await exec(daemon, Runtime_V1_ExecRequest.streamed(id, ["true"]))
        try await Task.sleep(for: .seconds(2))
        await #expect(throws: (any Error).self) { _ = try await collect(daemon, url: url) }
        let fresh = try await collect(daemon, url: try await exec(daemon, Runtime_V1_ExecRequest.streamed(id, ["true"])))
        #expect(fresh.status == StreamStatus(.success))
        try await daemon.client.removePodSandbox(podID)
        await cleanup(daemon)
    }

    @Test func execWithTtyAndStdinAndResize() async throws {
        let daemon = try await Berthd.started()
        let (podID, id) = try await Pods.run(daemon, pod: Pods.sandboxConfig("stream-tty"), container: Pods.containerConfig("main", command: ["sleep", "600"]))

        let url = try await exec(daemon, Runtime_V1_ExecRequest.streamed(id, ["sh"], tty: true, stdin: true))
        let result = try await collect(daemon, url: url) { stream, output in
            await stream.send(.resize, TerminalSize(width: 100, height: 30).encoded)
            await stream.send(.stdin, Array("stty size\n".utf8))
            _ = await output.waitFor("30 100")
            await stream.send(.resize, TerminalSize(width: 120, height: 40).encoded)
            await stream.send(.stdin, Array("stty size\n".utf8))
            _ = await output.waitFor("40 120")
            await stream.send(.stdin, Array("echo hi; exit 3\n".utf8))
        }
        #expect(result.stdout.contains("30 100"), "\(result.stdout)")
        #expect(result.stdout.contains("40 120"), "\(result.stdout)")
        #expect(result.stdout.contains("echo hi; exit 3"), "the terminal echoes the input: \(result.stdout)")
        #expect(result.stdout.contains("hi\r\n"), "\(result.stdout)")
        #expect(result.status == StreamStatus(.exitCode(3)))

        // stdin EOF (v5 close of channel 0) ends a command that reads to the end.
        let cat = try await collect(daemon, url: try await exec(daemon, Runtime_V1_ExecRequest.streamed(id, ["cat"], stdin: true))) { stream, _ in
            await stream.send(.stdin, Array("piped\n".utf8))
            await stream.send(ChannelFrame.closing(.stdin).encoded)
        }
        #expect(cat.stdout == "piped\n")
        #expect(cat.status == StreamStatus(.success))

        // berthctl exec -i: stdin in, stdout and stderr apart, the exit code passed through.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary("berthctl"))
        process.arguments = ["--socket", daemon.socket, "exec", "-i", id, "sh", "-c", "cat; echo err >&2; exit 4"]
        let input = Foundation.Pipe(), output = Foundation.Pipe(), errors = Foundation.Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data("through berthctl\n".utf8))
        try input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(String(decoding: stdout, as: UTF8.self) == "through berthctl\n")
        #expect(String(decoding: stderr, as: UTF8.self) == "err\n")
        #expect(process.terminationStatus == 4)
        try await daemon.client.removePodSandbox(podID)
        await cleanup(daemon)
    }

    @Test func clientThatDisconnectsLeavesNoProcess() async throws {
        let daemon = try await Berthd.started()
        let (podID, id) = try await Pods.run(daemon, pod: Pods.sandboxConfig("stream-gone"), container: Pods.containerConfig("main", command: ["sleep", "600"]))
        for tty in [false, true] {
            let url = try await exec(daemon, Runtime_V1_ExecRequest.streamed(id, ["sh", "-c", "echo started; sleep 777"], tty: tty, stdin: true))
            try await daemon.client.withStream(url: url, protocols: StreamProtocols.channel) { stream in
                for await message in stream.messages where ChannelFrame(decoding: message)?.channel == 1 { break }
            }
            let gone = try await Pods.eventually {
                let ps = try await daemon.client.execSync(id, command: ["ps", "-o", "args"], execTimeout: 10)
                return !String(decoding: ps.stdout, as: UTF8.self).contains("sleep 777")
            }
            #expect(gone, "tty \(tty)")
        }
        #expect(await Pods.eventually { Pods.processes(mentioning: "exec-").isEmpty })
        try await daemon.client.removePodSandbox(podID)
        await cleanup(daemon)
    }

    @Test func attachSendsStdinAndStdinOnceEndsIt() async throws {
        let daemon = try await Berthd.started()
        var config = Pods.containerConfig("cat", command: ["cat"], logPath: "cat.log")
        config.stdin = true
        config.stdinOnce = true
        let pod = Pods.sandboxConfig("stream-attach", logDirectory: "\(daemon.directory)/logs")
        let (podID, id) = try await Pods.run(daemon, pod: pod, container: config)

        var request = Runtime_V1_AttachRequest()
        request.containerID = id
        request.stdin = true
        request.stdout = true
        request.stderr = true
        // An attacher without stdin sees the output too.
        var watcherRequest = request
        watcherRequest.stdin = false
        let watcherURL = try await streamURL(daemon, "Attach", watcherRequest, Runtime_V1_AttachResponse.self) { $0.url }
        let watcher = Task { try await collect(daemon, url: watcherURL) }
        try await Task.sleep(for: .milliseconds(300))

        let url = try await streamURL(daemon, "Attach", request, Runtime_V1_AttachResponse.self) { $0.url }
        let echoed = try await daemon.client.withStream(url: url, protocols: StreamProtocols.channel) { stream in
            await stream.send(.stdin, Array("hello\n".utf8))
            var text = ""
            for await message in stream.messages {
                guard let frame = ChannelFrame(decoding: message), frame.channel == 1 else { continue }
                text += String(decoding: frame.payload, as: UTF8.self)
                if text.contains("hello\n") { break }
            }
            return text
        }
        #expect(echoed == "hello\n")
        // The first stdin client left: stdin_once closes stdin, cat ends, and so does the container.
        #expect(await Pods.eventually { (try? await daemon.client.containerStatus(id).status.state) == .containerExited })
        let watched = try await watcher.value
        #expect(watched.stdout == "hello\n")
        #expect(watched.status == StreamStatus(.success))
        let log = try String(contentsOfFile: "\(daemon.directory)/logs/cat.log", encoding: .utf8)
        #expect(log.contains("stdout F hello"))
        try await daemon.client.removePodSandbox(podID)
        await cleanup(daemon)
    }

    @Test func portForwardReachesAPortInsideThePod() async throws {
        let daemon = try await Berthd.started()
        var config = Pods.containerConfig(
            "server", command: ["sh", "-c", "ip link set lo up; while true; do echo pong | nc -l -p 8080; done"])
        config.linux.securityContext.capabilities.addCapabilities = ["NET_ADMIN"]
        let (podID, _) = try await Pods.run(daemon, pod: Pods.sandboxConfig("stream-forward"), container: config)
        try await Task.sleep(for: .milliseconds(500))

        var request = Runtime_V1_PortForwardRequest()
        request.podSandboxID = podID
        request.port = [8080]
        let url = try await streamURL(daemon, "PortForward", request, Runtime_V1_PortForwardResponse.self) { $0.url }
        let (data, errors) = try await daemon.client.withStream(url: url, protocols: [StreamProtocols.portForward]) { stream in
            await stream.send(ChannelFrame(channel: 0, payload: Array("ping\n".utf8)).encoded)
            var data: [UInt8] = []
            var errors: [UInt8] = []
            for await message in stream.messages {
                guard let frame = ChannelFrame(decoding: message) else { continue }
                if frame.channel == 0 { data += frame.payload }
                if frame.channel == 1 { errors += frame.payload }
                if data.count >= 2 + 5 { break }
            }
            return (data, errors)
        }
        #expect(Array(data.prefix(2)) == PortForwardFraming.portPrefix(8080))
        #expect(String(decoding: data.dropFirst(2), as: UTF8.self) == "pong\n")
        #expect(Array(errors.prefix(2)) == PortForwardFraming.portPrefix(8080) && errors.count == 2)

        // berthctl port-forward: a local listener relayed into the pod.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary("berthctl"))
        process.arguments = ["--socket", daemon.socket, "port-forward", podID, "18080:8080"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { process.terminate() }
        let fetched = await Pods.eventually { (try? tcpFetch(port: 18080))?.contains("pong") == true }
        #expect(fetched)
        try await daemon.client.removePodSandbox(podID)
        await cleanup(daemon)
    }
}

/// Connects to 127.0.0.1:port, sends a line and reads to the end.
func tcpFetch(port: UInt16) throws -> String {
    let fd = try TCPSocket.make()
    defer { close(fd) }
    guard TCPSocket.connect(fd, port: port) == 0 else { throw BerthError(.unavailable, "connect") }
    _ = "ping\n".withCString { send(fd, $0, 5, 0) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        bytes += buffer[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
