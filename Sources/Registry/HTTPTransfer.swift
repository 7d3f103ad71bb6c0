import BerthBase
import HTTPClient

/// One HTTP request as the registry client sends it.
typealias HTTPRequest = TransferRequest
/// What a request uploads.
typealias RequestBody = TransferBody
/// A response whose body was kept in memory (or streamed to a sink, when successful).
typealias HTTPResponse = TransferResponse
/// Why a transfer produced no response.
typealias TransferFailure = TransferError
/// Receives the body of a successful (2xx) response as it arrives.
typealias BodySink = TransferSink

/// Limits that keep a dead or stalled registry from hanging a pull.
public struct RegistryTimeouts: Sendable, Hashable {
    /// Seconds to wait for a TCP (and TLS) connection.
    public var connect: Int
    /// A transfer slower than `lowSpeedBytes` per second for `lowSpeedSeconds` is abandoned.
    public var lowSpeedBytes: Int
    public var lowSpeedSeconds: Int

    public init(connect: Int = 10, lowSpeedBytes: Int = 1, lowSpeedSeconds: Int = 30) {
        self.connect = connect
        self.lowSpeedBytes = lowSpeedBytes
        self.lowSpeedSeconds = lowSpeedSeconds
    }
}

/// Runs one blocking transfer on the calling thread (a connection of its own, closed
/// afterwards), aborting when `flag` is set.
func performTransfer(
    _ request: HTTPRequest, verifyTLS: Bool, timeouts: RegistryTimeouts, proxies: ProxySettings,
    flag: CancellationFlag, sink: BodySink? = nil
) throws(TransferFailure) -> HTTPResponse {
    let options = TransferOptions(
        verifyTLS: verifyTLS, connectTimeout: timeouts.connect, lowSpeedBytes: timeouts.lowSpeedBytes,
        lowSpeedSeconds: timeouts.lowSpeedSeconds, proxies: proxies)
    return try transfer(request, options: options, flag: flag, sink: sink)
}
