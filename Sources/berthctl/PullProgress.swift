import BerthBase

/// One line of berthd's `PullImageProgress` stream.
enum PullEvent: Equatable, Sendable {
    case progress(LayerProgress)
    case finished(imageRef: String)
    case failed(BerthError)

    /// Parses one NDJSON line: a layer's progress, the final `imageRef`, or an `error`.
    init(line: some Collection<UInt8>) throws(BerthError) {
        guard case .object(let fields) = try JSONValue(parsing: line) else {
            throw BerthError(.internal, "pull progress: line is not a JSON object")
        }
        if case .string(let imageRef) = fields["imageRef"] {
            self = .finished(imageRef: imageRef)
        } else if case .object(let error) = fields["error"] {
            let code = error["code"]?.text.flatMap(ErrorCode.init(rawValue:)) ?? .unknown
            self = .failed(BerthError(code, error["message"]?.text ?? "pull failed"))
        } else if let layer = fields["layer"]?.text, let status = fields["status"]?.text {
            self = .progress(
                LayerProgress(
                    layer: layer, status: status,
                    current: fields["current"]?.int64 ?? 0, total: fields["total"]?.int64 ?? 0))
        } else {
            throw BerthError(.internal, "pull progress: unexpected line \(String(decoding: line, as: UTF8.self))")
        }
    }
}

/// How far one layer has got.
struct LayerProgress: Equatable, Sendable {
    var layer: String
    var status: String
    var current: Int64
    var total: Int64

    /// `sha256:ab12cd34ef56…: downloading 12.3MB/40.1MB`
    var line: String {
        let name = layer.hasPrefix("sha256:") ? "sha256:" + layer.dropFirst(7).prefix(12) + "…" : layer
        let sizes = total > 0 ? "\(humanSize(UInt64(max(current, 0))))/\(humanSize(UInt64(total)))" : ""
        switch status {
        case "downloading" where !sizes.isEmpty: return "\(name): downloading \(sizes)"
        case "exists": return "\(name): already exists"
        default: return "\(name): \(status)"
        }
    }
}

/// Per-layer progress lines, redrawn in place on a terminal.
struct PullProgressBoard {
    private var order: [String] = []
    private var layers: [String: LayerProgress] = [:]
    private var drawn = 0

    mutating func update(_ progress: LayerProgress) {
        if layers.updateValue(progress, forKey: progress.layer) == nil {
            order.append(progress.layer)
        }
    }

    var lines: [String] { order.compactMap { layers[$0]?.line } }

    /// The terminal text that replaces what was drawn last time with the current lines:
    /// move up over the old lines, then rewrite each one, clearing what was left of it.
    mutating func redraw() -> String {
        let lines = self.lines
        var text = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        for line in lines {
            text += "\r\u{1B}[2K" + line + "\n"
        }
        drawn = lines.count
        return text
    }
}

extension JSONValue {
    var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// proto3-JSON writes 64-bit integers as strings; accept either.
    var int64: Int64? {
        switch self {
        case .int(let value): return value
        case .string(let value): return Int64(value)
        case .double(let value): return Int64(exactly: value.rounded())
        default: return nil
        }
    }
}
