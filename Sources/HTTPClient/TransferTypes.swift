import BerthBase

/// One HTTP/1.1 request: sent on a connection of its own, which is closed afterwards.
public struct TransferRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines, `Name: value`. `Host`, `User-Agent`, `Content-Length` and `Connection`
    /// are added.
    public var headers: [String]
    public var body: TransferBody
    /// Follow 301, 302, 303, 307 and 308 answers, at most `maxRedirects` of them.
    public var followRedirects: Bool
    /// The most a response body kept in memory may hold; larger ones fail the transfer.
    public var bodyLimit: Int

    public init(method: String = "GET", url: String, headers: [String] = [], body: TransferBody = .none,
                followRedirects: Bool = false, bodyLimit: Int = 4 << 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.followRedirects = followRedirects
        self.bodyLimit = bodyLimit
    }

    /// Redirects followed before a transfer gives up, as curl's registry callers set it.
    public static let maxRedirects = 5
}

/// What a request uploads.
public enum TransferBody: Sendable {
    case none
    case bytes([UInt8])
    /// The first `size` bytes of a file, read as they are sent.
    case file(path: String, size: Int64)
}

/// The final response of a transfer. Its body is in memory unless it went to the sink.
public struct TransferResponse: Sendable {
    public var status: Int
    /// Header names lowercased, in the order received, of the final response only.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The last value of a header.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.last { $0.name == name }?.value
    }

    /// Every value of a header.
    public func headers(_ name: String) -> [String] {
        let name = name.lowercased()
        return headers.filter { $0.name == name }.map(\.value)
    }
}

/// How a transfer connects and when it gives up.
public struct TransferOptions: Sendable {
    /// Check the server's certificate chain against the system's CA store, and its name.
    public var verifyTLS: Bool
    /// Seconds to resolve, connect, pass a proxy and finish the TLS handshake.
    public var connectTimeout: Int
    /// A transfer moving fewer than `lowSpeedBytes` per second over `lowSpeedSeconds`
    /// seconds is abandoned (curl's low-speed limit); either at 0 turns it off.
    public var lowSpeedBytes: Int
    public var lowSpeedSeconds: Int
    public var proxies: ProxySettings
    /// A PEM file of certificates trusted besides the system's (tests, private CAs).
    public var extraRootCertificates: String?

    public init(verifyTLS: Bool = true, connectTimeout: Int = 10, lowSpeedBytes: Int = 1, lowSpeedSeconds: Int = 30,
                proxies: ProxySettings = .none, extraRootCertificates: String? = nil) {
        self.verifyTLS = verifyTLS
        self.connectTimeout = connectTimeout
        self.lowSpeedBytes = lowSpeedBytes
        self.lowSpeedSeconds = lowSpeedSeconds
        self.proxies = proxies
        self.extraRootCertificates = extraRootCertificates
    }
}

/// Why a transfer produced no response.
public enum TransferError: Error, Sendable, CustomStringConvertible {
    /// Resolving, connecting, TLS, the proxy, or the exchange itself failed; the text says
    /// what failed and on what (`connect 127.0.0.1:5000: Connection refused`).
    case connection(String)
    case cancelled
    /// The sink refused the data (a size or write error).
    case sink(BerthError)
    /// A body kept in memory exceeded the request's `bodyLimit`.
    case bodyTooLarge(Int)
    /// The request itself cannot be sent (an upload file that cannot be read, a bad proxy setting).
    case setup(String)

    public var description: String {
        switch self {
        case .connection(let detail), .setup(let detail): detail
        case .cancelled: "cancelled"
        case .sink(let error): error.message
        case .bodyTooLarge(let limit): "response larger than \(limit) bytes"
        }
    }
}

/// Receives the body of a successful (2xx) final response as it arrives, in slices of a
/// buffer that is reused: copy what must outlive the call.
public typealias TransferSink = (UnsafeRawBufferPointer) throws(BerthError) -> Void
