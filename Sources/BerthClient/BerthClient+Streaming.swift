import BerthBase
import CRI
import StreamProtocol
import Synchronization

extension BerthClient {
    private static let streaming = "runtime.v1.RuntimeService/"

    /// The one-time URL through which `request`'s command runs in its container (`Exec`).
    public func exec(_ request: Runtime_V1_ExecRequest, timeout: Duration? = nil) async throws(BerthError) -> String {
        try await call(Self.streaming + "Exec", request, as: Runtime_V1_ExecResponse.self, timeout: timeout).url
    }

    /// The one-time URL through which a running container's stdio is reached (`Attach`).
    public func attach(_ request: Runtime_V1_AttachRequest, timeout: Duration? = nil) async throws(BerthError) -> String {
        try await call(Self.streaming + "Attach", request, as: Runtime_V1_AttachResponse.self, timeout: timeout).url
    }

    /// The one-time URL through which `ports` inside the pod are reached (`PortForward`).
    public func portForward(
        podSandboxID: String, ports: [Int32], timeout: Duration? = nil
    ) async throws(BerthError) -> String {
        var request = Runtime_V1_PortForwardRequest()
        request.podSandboxID = podSandboxID
        request.port = ports
        return try await call(Self.streaming + "PortForward", request, as: Runtime_V1_PortForwardResponse.self, timeout: timeout).url
    }

    /// Reads the channel stream at `url` (as `exec` and `attach` return it) to its end, while
    /// `interact` runs alongside with the connection and the output seen so far; `interact`
    /// is cancelled when the stream ends. `protocols` are offered in order (v5, then v4).
    public func channelStream(
        url: String, protocols: [String] = StreamProtocols.channel,
        interact: @escaping @Sendable (StreamClientConnection, ChannelOutput) async -> Void = { _, _ in }
    ) async throws -> ChannelOutput.Collected {
        try await withStream(url: url, protocols: protocols) { stream in
            let output = ChannelOutput(subprotocol: stream.subprotocol)
            let task = Task { await interact(stream, output) }
            defer { task.cancel() }
            for await message in stream.messages {
                if let frame = ChannelFrame(decoding: message) { output.add(frame) }
            }
            return output.collected
        }
    }

    /// Sends `data` to the single port of the port-forward URL `url` and collects what comes
    /// back on its data and error channels (each without its two-byte port prefix) until
    /// `enough` holds for the data so far, or the stream ends.
    public func forwardedExchange(
        url: String, sending data: [UInt8], until enough: @escaping @Sendable ([UInt8]) -> Bool
    ) async throws -> PortForwardExchange {
        try await withStream(url: url, protocols: [StreamProtocols.portForward]) { stream in
            var exchange = PortForwardExchange()
            await stream.send(ChannelFrame(channel: PortForwardFraming.dataChannel(0), payload: data).encoded)
            for await message in stream.messages {
                guard let frame = ChannelFrame(decoding: message) else { continue }
                switch frame.channel {
                case PortForwardFraming.dataChannel(0):
                    exchange.add(frame.payload, to: \.data, prefix: \.dataPort)
                case PortForwardFraming.errorChannel(0):
                    exchange.add(frame.payload, to: \.error, prefix: \.errorPort)
                default:
                    break
                }
                if enough(exchange.data) { break }
            }
            return exchange
        }
    }
}

/// What one port-forward stream carried for its port.
public struct PortForwardExchange: Sendable, Equatable {
    /// The port each channel's first message named (nil until one came).
    public var dataPort: UInt16?
    public var errorPort: UInt16?
    /// The bytes from the port, and the error text berthd sent about it.
    public var data: [UInt8] = []
    public var error: [UInt8] = []

    public init() {}

    mutating func add(_ payload: [UInt8], to bytes: WritableKeyPath<Self, [UInt8]>, prefix: WritableKeyPath<Self, UInt16?>) {
        if self[keyPath: prefix] == nil {
            self[keyPath: prefix] = PortForwardFraming.port(fromPrefix: payload)
            self[keyPath: bytes] += payload.dropFirst(2)
        } else {
            self[keyPath: bytes] += payload
        }
    }
}

/// The output of a channel stream as it arrives: stdout, stderr and the final status.
public final class ChannelOutput: Sendable {
    public struct Collected: Sendable, Equatable {
        /// The subprotocol berthd chose.
        public var subprotocol: String
        public var stdout: [UInt8] = []
        public var stderr: [UInt8] = []
        /// The status channel's `Status`, nil when none came or it did not decode.
        public var status: StreamStatus?
        /// The status channel's payload as it came.
        public var rawStatus: [UInt8] = []

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    private let state: Mutex<Collected>

    init(subprotocol: String) {
        state = Mutex(Collected(subprotocol: subprotocol))
    }

    func add(_ frame: ChannelFrame) {
        state.withLock { collected in
            switch StreamChannel(rawValue: frame.channel) {
            case .stdout: collected.stdout += frame.payload
            case .stderr: collected.stderr += frame.payload
            case .error:
                collected.rawStatus += frame.payload
                collected.status = StreamStatus(decoding: collected.rawStatus)
            default: break
            }
        }
    }

    /// Everything so far.
    public var collected: Collected { state.withLock { $0 } }

    /// Waits until stdout holds `text` (counting from byte `offset`), polling; false after `limit`.
    public func waitForStdout(_ text: String, after offset: Int = 0, within limit: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            let stdout = state.withLock { Array($0.stdout.dropFirst(offset)) }
            if String(decoding: stdout, as: UTF8.self).contains(text) { return true }
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// How many stdout bytes came so far, to wait for text after this point.
    public var stdoutCount: Int { state.withLock { $0.stdout.count } }
}

extension Runtime_V1_ExecRequest {
    /// An `Exec` whose output is streamed back: stdout always, and stderr apart unless a
    /// terminal merges it into its output (CRI forbids asking for both).
    public static func streamed(_ containerID: String, _ command: [String], tty: Bool = false, stdin: Bool = false) -> Self {
        var request = Self()
        request.containerID = containerID
        request.cmd = command
        request.tty = tty
        request.stdin = stdin
        request.stdout = true
        request.stderr = !tty
        return request
    }
}
