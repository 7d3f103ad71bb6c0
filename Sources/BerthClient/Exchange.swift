import BerthBase
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP request as the client sends it.
struct OutgoingRequest: Sendable {
    var method: String
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]
}

extension BerthClient {
    /// How long after its own timeout the client still waits for the server's
    /// `deadline_exceeded` reply, which says more than a closed connection.
    static let deadlineGrace: Duration = .milliseconds(500)

    /// Opens a connection, sends `request`, and lets `read` consume the response parts;
    /// the connection is closed afterwards.
    func exchange<Result: Sendable>(
        _ request: OutgoingRequest,
        timeout: Duration?,
        read: (NIOAsyncChannelInboundStream<HTTPClientResponsePart>) async throws -> Result
    ) async throws(BerthError) -> Result {
        let started = ContinuousClock.now
        let connection = try await connect()
        let channel = connection.channel
        let id = ObjectIdentifier(channel)
        let admitted = connections.withLock { state in
            guard !state.closed else { return false }
            state.channels[id] = channel
            return true
        }
        defer { _ = connections.withLock { $0.channels.removeValue(forKey: id) } }
        guard admitted else {
            try? await channel.close()
            throw BerthError(.cancelled, "\(request.path.dropFirst()): client is closed")
        }
        let timer = timeout.map { timeout in
            channel.eventLoop.scheduleTask(in: TimeAmount(timeout + Self.deadlineGrace)) { channel.close(promise: nil) }
        }
        defer { timer?.cancel() }

        do {
            return try await connection.executeThenClose { inbound, outbound in
                do {
                    try await outbound.write(.head(head(for: request)))
                    if !request.body.isEmpty {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: request.body))))
                    }
                    try await outbound.write(.end(nil))
                } catch {
                    // The server may answer early and hang up (413 for a body it will not
                    // read); its reply is already buffered, so read it rather than fail.
                }
                return try await read(inbound)
            }
        } catch let error as BerthError {
            throw error
        } catch {
            let name = request.path.dropFirst()
            if Task.isCancelled || connections.withLock({ $0.closed }) {
                throw BerthError(.cancelled, "\(name): cancelled")
            }
            if let timeout, started.duration(to: .now) >= timeout {
                throw BerthError(.deadlineExceeded, "\(name): no reply within \(timeout)")
            }
            throw BerthError(.unavailable, "\(name): connection to berthd at \(socketPath) failed: \(error)")
        }
    }

    private func connect() async throws(BerthError)
        -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    {
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw BerthError(.unavailable, "cannot reach berthd at \(socketPath): \(Self.describe(error))")
        }
    }

    private func head(for request: OutgoingRequest) -> HTTPRequestHead {
        var headers = HTTPHeaders([
            ("Host", "localhost"),
            ("Content-Type", "application/json"),
            ("Content-Length", "\(request.body.count)"),
            // A connection serves one call, so let the server close it as soon as it answered.
            ("Connection", "close"),
        ])
        for (name, value) in request.headers {
            headers.replaceOrAdd(name: name, value: value)
        }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.path,
                               headers: headers)
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return FileSystem.errnoText(error.errnoCode) }
        return "\(error)"
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
