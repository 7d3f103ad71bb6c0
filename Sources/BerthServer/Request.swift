/// One HTTP request as a handler sees it: the transport has already checked the method,
/// the body size and the deadline header.
public struct Request: Sendable {
    /// The request path without its query string, e.g. `/runtime.v1.ImageService/PullImage`.
    public var path: String
    /// The HTTP method, e.g. `POST`.
    public var method: String
    /// The request headers in the order they arrived; names as the client spelled them.
    public var headers: [(String, String)]
    /// The whole request body.
    public var body: [UInt8]
    /// When the caller stops waiting, from its `Grpc-Timeout` header; nil when it sent none.
    public var deadline: ContinuousClock.Instant?

    public init(
        path: String,
        method: String = "POST",
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        deadline: ContinuousClock.Instant? = nil
    ) {
        self.path = path
        self.method = method
        self.headers = headers
        self.body = body
        self.deadline = deadline
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }
}

/// What a handler answers with.
public enum Response: Sendable {
    /// A complete JSON reply with an HTTP status; `Content-Type: application/json`.
    case json(status: Int, body: [UInt8])
    /// A server stream: status 200 and newline-delimited JSON sent with chunked transfer
    /// encoding, one message per element (a newline is appended where missing). If the
    /// stream throws, or the deadline passes, a last line `{"error":{"code":…,"message":…}}`
    /// tells the client why it ended.
    case stream(AsyncThrowingStream<[UInt8], any Error>)

    /// A 200 reply carrying `body`.
    public static func ok(_ body: [UInt8]) -> Response { .json(status: 200, body: body) }
}

/// Serves one route. Throwing a `BerthError` answers with its code; any other error
/// becomes `internal`. The task running a handler is cancelled when the deadline passes
/// or the client goes away.
public typealias Handler = @Sendable (Request) async throws -> Response
