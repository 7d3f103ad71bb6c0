import Foundation

/// The Kubernetes streaming channel protocol (`v4.channel.k8s.io`, `v5.channel.k8s.io`) as
/// kubelet's streaming server speaks it over WebSocket: every binary message starts with
/// the channel it belongs to.
public enum StreamChannel: UInt8, Sendable {
    case stdin = 0
    case stdout = 1
    case stderr = 2
    /// The status channel: a Kubernetes `Status` object at the end.
    case error = 3
    /// Terminal size changes: `{"Width": w, "Height": h}`.
    case resize = 4
    /// v5: the payload's first byte names a channel the sender is done with (stdin EOF).
    case close = 255
}

/// The subprotocols Berth speaks, in order of preference.
public enum StreamProtocols {
    public static let v5 = "v5.channel.k8s.io"
    public static let v4 = "v4.channel.k8s.io"
    public static let portForward = "portforward.k8s.io"
    public static let channel = [v5, v4]

    /// The first protocol the client offers (a `Sec-WebSocket-Protocol` value, comma-separated,
    /// possibly in several headers) that is among `supported`.
    public static func negotiate(_ offered: [String], supported: [String]) -> String? {
        let names = offered.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        return names.first { supported.contains($0) }
    }
}

/// One message of the channel protocol.
public struct ChannelFrame: Sendable, Equatable {
    public var channel: UInt8
    public var payload: [UInt8]

    public init(channel: UInt8, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }

    public init(_ channel: StreamChannel, _ payload: [UInt8]) {
        self.init(channel: channel.rawValue, payload: payload)
    }

    /// The WebSocket message: the channel byte, then the payload.
    public var encoded: [UInt8] { [channel] + payload }

    /// Splits a message; nil for an empty one, which carries no channel.
    public init?(decoding message: [UInt8]) {
        guard let first = message.first else { return nil }
        self.init(channel: first, payload: Array(message.dropFirst()))
    }

    /// v5: "I am done sending on `channel`" (stdin EOF).
    public static func closing(_ channel: StreamChannel) -> ChannelFrame {
        ChannelFrame(.close, [channel.rawValue])
    }
}

/// A terminal size as the resize channel carries it.
public struct TerminalSize: Sendable, Equatable, Codable {
    public var width: UInt16
    public var height: UInt16

    public init(width: UInt16, height: UInt16) {
        self.width = width
        self.height = height
    }

    enum CodingKeys: String, CodingKey {
        case width = "Width"
        case height = "Height"
    }

    public var encoded: [UInt8] { Array("{\"Width\":\(width),\"Height\":\(height)}".utf8) }

    public init?(decoding payload: [UInt8]) {
        guard let size = try? JSONDecoder().decode(TerminalSize.self, from: Data(payload)) else { return nil }
        self = size
    }
}

/// The Kubernetes `Status` object sent on the status channel when a stream ends.
public struct StreamStatus: Sendable, Equatable {
    /// Success, or the exit code of a command that failed.
    public enum Outcome: Sendable, Equatable {
        case success
        case exitCode(Int32)
        case failure(String)
    }

    public var outcome: Outcome

    public init(_ outcome: Outcome) {
        self.outcome = outcome
    }

    /// An exit code as a status: 0 is success.
    public static func exit(_ code: Int32) -> StreamStatus {
        StreamStatus(code == 0 ? .success : .exitCode(code))
    }

    public var encoded: [UInt8] {
        let object: [String: Any]
        switch outcome {
        case .success:
            object = ["metadata": [String: Any](), "status": "Success"]
        case .exitCode(let code):
            object = [
                "metadata": [String: Any](), "status": "Failure",
                "message": "command terminated with non-zero exit code: error executing command, exit code \(code)",
                "reason": "NonZeroExitCode",
                "details": ["causes": [["reason": "ExitCode", "message": "\(code)"]]],
            ]
        case .failure(let message):
            object = ["metadata": [String: Any](), "status": "Failure", "message": message, "reason": "InternalError"]
        }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// Reads a `Status` object; a failure without an `ExitCode` cause is `.failure(message)`.
    public init?(decoding payload: [UInt8]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any],
              let status = object["status"] as? String else { return nil }
        if status == "Success" {
            self.init(.success)
            return
        }
        let causes = ((object["details"] as? [String: Any])?["causes"] as? [[String: Any]]) ?? []
        if object["reason"] as? String == "NonZeroExitCode",
           let text = causes.first(where: { $0["reason"] as? String == "ExitCode" })?["message"] as? String,
           let code = Int32(text) {
            self.init(.exitCode(code))
            return
        }
        self.init(.failure(object["message"] as? String ?? "stream failed"))
    }

    /// The exit code a client reports: 0, the command's code, or 1 for another failure.
    public var exitCode: Int32 {
        switch outcome {
        case .success: 0
        case .exitCode(let code): code
        case .failure: 1
        }
    }
}

/// Port-forward framing (`portforward.k8s.io`): port i of the request has data channel 2i
/// and error channel 2i+1; the server's first message on each channel starts with the port
/// as two little-endian bytes.
public enum PortForwardFraming {
    public static func dataChannel(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index * 2) }
    public static func errorChannel(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index * 2 + 1) }
    public static func portPrefix(_ port: UInt16) -> [UInt8] { [UInt8(port & 0xff), UInt8(port >> 8)] }
    public static func port(fromPrefix bytes: [UInt8]) -> UInt16? {
        bytes.count >= 2 ? UInt16(bytes[0]) | UInt16(bytes[1]) << 8 : nil
    }
}
