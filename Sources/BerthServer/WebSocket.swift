import BerthBase
import NIOCore
import NIOHTTP1
import NIOWebSocket
import WebSocketMessages

/// What a WebSocket route answers an upgrade request with: the subprotocol it chose and
/// the session that then owns the connection.
public struct WebSocketAcceptance: Sendable {
    public var subprotocol: String
    public var session: WebSocketSession

    public init(subprotocol: String, session: @escaping WebSocketSession) {
        self.subprotocol = subprotocol
        self.session = session
    }
}

/// Runs an upgraded connection: `messages` yields each complete binary (or text) message
/// and ends when the peer closes or goes away. When the session returns, the server sends
/// a close frame and closes the connection.
public typealias WebSocketSession = @Sendable (_ connection: WebSocketConnection, _ messages: AsyncStream<[UInt8]>) async -> Void

/// Decides an upgrade request: the full URI (with its query) and the subprotocols the client
/// offered (`Sec-WebSocket-Protocol` values); nil refuses it, and the request is then served
/// as plain HTTP by the route registered for its path.
public typealias WebSocketAcceptor = @Sendable (_ uri: String, _ offeredProtocols: [String]) -> WebSocketAcceptance?

/// The sending side of an upgraded connection.
public final class WebSocketConnection: Sendable {
    public let subprotocol: String
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    private let channel: any Channel

    init(subprotocol: String, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, channel: any Channel) {
        self.subprotocol = subprotocol
        self.outbound = outbound
        self.channel = channel
    }

    /// Sends one binary message; false once the connection is gone.
    @discardableResult
    public func send(_ message: [UInt8]) async -> Bool {
        let frame = WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: message))
        do {
            try await outbound.write(frame)
            return true
        } catch {
            return false
        }
    }

    func sendControl(_ opcode: WebSocketOpcode, _ data: ByteBuffer) async {
        try? await outbound.write(WebSocketFrame(fin: true, opcode: opcode, data: data))
    }

    /// Serves an upgraded channel with `session`.
    static func serve(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, raw: any Channel, _ acceptance: WebSocketAcceptance) async {
        try? await channel.executeThenClose { inbound, outbound in
            let connection = WebSocketConnection(subprotocol: acceptance.subprotocol, outbound: outbound, channel: raw)
            let (messages, continuation) = AsyncStream.makeStream(of: [UInt8].self)
            let reader = Task {
                await MessageReader.pump(inbound, into: continuation) { await connection.sendControl(.pong, $0) }
            }
            await acceptance.session(connection, messages)
            var code = ByteBuffer()
            code.write(webSocketErrorCode: .normalClosure)
            await connection.sendControl(.connectionClose, code)
            try? await raw.close()
            reader.cancel()
            _ = await reader.value
        }
    }
}

/// Keeps what the upgrade decision accepted until the pipeline is switched over; only
/// touched on the connection's event loop.
final class PendingUpgrade: @unchecked Sendable {
    var acceptance: WebSocketAcceptance?
}

extension Server {
    /// The WebSocket upgrader for one connection: routes registered with
    /// `Router.registerWebSocket` decide, and the HTTP handler named `httpHandlerName` makes way.
    static func webSocketUpgrader(router: Router, httpHandlerName: String) -> NIOWebSocketServerUpgrader {
        let pending = PendingUpgrade()
        return NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let path = String(head.uri.prefix { $0 != "?" })
                guard let acceptor = router.webSocketAcceptor(for: path),
                      let acceptance = acceptor(head.uri, head.headers["Sec-WebSocket-Protocol"]) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                pending.acceptance = acceptance
                var headers = HTTPHeaders()
                if !acceptance.subprotocol.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: acceptance.subprotocol) }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in
                channel.pipeline.removeHandler(name: httpHandlerName).flatMapThrowing {
                    guard let acceptance = pending.acceptance else { throw BerthError(.internal, "websocket upgrade without a session") }
                    pending.acceptance = nil
                    try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                        minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 256, maxAccumulatedFrameSize: 16 << 20))
                    let wrapped = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                    Task { await WebSocketConnection.serve(wrapped, raw: channel, acceptance) }
                }
            }
        )
    }
}
