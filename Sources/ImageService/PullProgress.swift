/// One progress report of a pull or import, streamed to `berthctl pull` as a JSON line.
public struct PullProgress: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case waiting, downloading, verifying, unpacking, done, exists
    }

    /// The layer's blob digest.
    public var layer: String
    public var status: Status
    public var current: Int64
    public var total: Int64

    public init(layer: String, status: Status, current: Int64, total: Int64) {
        self.layer = layer
        self.status = status
        self.current = current
        self.total = total
    }
}

/// Where progress reports go; `nil` when nobody listens.
public typealias ProgressSink = @Sendable (PullProgress) -> Void
