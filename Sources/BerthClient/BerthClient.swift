import BerthBase
import Foundation
import NIOCore
import SwiftProtobuf
import Synchronization

/// A typed client for berthd's socket API: CRI methods as HTTP/1.1 + JSON over a Unix
/// socket. Each call uses a fresh connection, so a client is cheap to share.
public final class BerthClient: Sendable {
    /// `$BERTH_SOCKET` when set, otherwise `/run/berth/berth.sock`.
    public static var defaultSocketPath: String {
        if let path = ProcessInfo.processInfo.environment["BERTH_SOCKET"], !path.isEmpty { return path }
        return "/run/berth/berth.sock"
    }

    /// The socket this client talks to.
    public let socketPath: String
    let connections = Mutex(OpenConnections())

    /// The connections in use, so that `close()` can end them.
    struct OpenConnections: ~Copyable {
        var closed = false
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    public init(socketPath: String = BerthClient.defaultSocketPath) {
        self.socketPath = socketPath
    }

    /// Ends calls in flight (they fail with `cancelled`) and refuses new ones.
    public func close() async {
        let open = connections.withLock { state in
            state.closed = true
            return Array(state.channels.values)
        }
        for channel in open {
            try? await channel.close()
        }
    }

    /// Calls a unary CRI method, e.g. `"runtime.v1.ImageService/PullImage"`.
    ///
    /// Error replies become the `BerthError` the server sent; a daemon that cannot be reached
    /// is `unavailable`. `timeout` travels as `Grpc-Timeout`, and the client gives up itself
    /// shortly after it in case the server never answers.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request,
        as: Response.Type = Response.self,
        timeout: Duration? = nil
    ) async throws(BerthError) -> Response {
        let body: [UInt8]
        do {
            body = try request.jsonUTF8Bytes()
        } catch {
            throw BerthError(.invalidArgument, "\(method): encode request: \(error)")
        }
        var headers: [(String, String)] = []
        if let timeout { headers.append(("Grpc-Timeout", GrpcTimeoutHeader.value(for: timeout))) }
        let reply = try await raw(path: "/" + method, body: body, headers: headers, timeout: timeout)
        guard reply.status == 200 else {
            throw WireError.decode(status: reply.status, body: reply.body)
        }
        do {
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = true
            return try Response(jsonUTF8Bytes: reply.body, options: options)
        } catch {
            throw BerthError(.internal, "\(method): decode reply: \(error)")
        }
    }

    /// Sends any request and returns the status and body as they came, without turning
    /// error statuses into errors; for checks of how the server treats bad input.
    public func raw(
        method: String = "POST",
        path: String,
        body: [UInt8],
        headers: [(String, String)] = []
    ) async throws(BerthError) -> (status: Int, body: [UInt8]) {
        try await raw(method: method, path: path, body: body, headers: headers, timeout: nil)
    }

    func raw(
        method: String = "POST",
        path: String,
        body: [UInt8],
        headers: [(String, String)],
        timeout: Duration?
    ) async throws(BerthError) -> (status: Int, body: [UInt8]) {
        let outgoing = OutgoingRequest(method: method, path: path, headers: headers, body: body)
        return try await exchange(outgoing, timeout: timeout) { inbound in
            var status = 0
            var collected: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let head): status = Int(head.status.code)
                case .body(let buffer): collected.append(contentsOf: buffer.readableBytesView)
                case .end: return (status, collected)
                }
            }
            throw BerthError(.unavailable, "berthd at \(socketPath) closed the connection before its reply to \(path) ended")
        }
    }
}
