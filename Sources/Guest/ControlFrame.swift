import BerthBase

/// One message on the guest's control channel: a line `KIND payload`. Lines keep the guest
/// side a plain shell loop; payloads therefore never hold a newline.
public enum ControlFrame: Sendable, Equatable {
    /// Guest → host: the agent is up; the payload is the guest's uptime in seconds.
    case ready(String)
    /// Guest → host: one line of a command's output.
    case output(String)
    /// Guest → host: the command ended with this status.
    case exit(Int32)
    /// Host → guest: run a shell command.
    case run(String)
    /// Host → guest: sync and power off.
    case powerOff

    public func encoded() throws(BerthError) -> [UInt8] {
        let line: String = switch self {
        case .ready(let uptime): "READY \(uptime)"
        case .output(let text): "OUT \(text)"
        case .exit(let status): "EXIT \(status)"
        case .run(let command): "RUN \(command)"
        case .powerOff: "POWEROFF"
        }
        guard !line.contains("\n") && !line.contains("\r") else {
            throw BerthError(.invalidArgument, "control frame: a payload cannot hold a line break")
        }
        return Array((line + "\n").utf8)
    }

    /// Parses one line (without its newline).
    public init(line: String) throws(BerthError) {
        let kind = line.prefix { $0 != " " }
        let payload = line.count > kind.count ? String(line.dropFirst(kind.count + 1)) : ""
        switch kind {
        case "READY": self = .ready(payload)
        case "OUT": self = .output(payload)
        case "EXIT":
            guard let status = Int32(payload) else { throw BerthError(.invalidArgument, "control frame: bad exit status \"\(payload)\"") }
            self = .exit(status)
        case "RUN": self = .run(payload)
        case "POWEROFF": self = .powerOff
        default: throw BerthError(.invalidArgument, "control frame: unknown kind in \"\(line.prefix(80))\"")
        }
    }
}

/// Splits a byte stream into lines, keeping a partial last line for the next chunk.
public struct LineBuffer: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Appends `bytes` and returns every line they completed.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [String] {
        pending += bytes
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        return lines
    }
}
