import BerthBase
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import StreamProtocol
import WebSocketMessages

/// A WebSocket stream opened on berthd's socket through a streaming URL.
public final class StreamClientConnection: Sendable {
    /// The subprotocol berthd chose.
    public let subprotocol: String
    /// Every binary message berthd sends; ends when it closes the stream.
    public let messages: AsyncStream<[UInt8]>
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>

    init(subprotocol: String, messages: AsyncStream<[UInt8]>, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) {
        self.subprotocol = subprotocol
        self.messages = messages
        self.outbound = outbound
    }

    /// Sends one binary message (masked, as a client must); false once the stream is gone.
    @discardableResult
    public func send(_ message: [UInt8]) async -> Bool {
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: message))
        do {
            try await outbound.write(frame)
            return true
        } catch {
            return false
        }
    }

    /// Sends a channel-protocol frame.
    @discardableResult
    public func send(_ channel: StreamChannel, _ payload: [UInt8]) async -> Bool {
        await send(ChannelFrame(channel, payload).encoded)
    }

    func sendControl(_ opcode: WebSocketOpcode, _ data: ByteBuffer) async {
        try? await outbound.write(WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data))
    }
}

extension BerthClient {
    private enum Upgrade: Sendable {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, String)
        case refused
    }

    /// Opens the WebSocket stream at `url` (as `Exec`, `Attach` or `PortForward` return it:
    /// `http://berth/stream/<token>`) on this client's socket, offering `protocols`, and runs
    /// `body` with it; the stream is closed when `body` returns.
    public func withStream<T: Sendable>(
        url: String, protocols: [String], _ body: @Sendable (StreamClientConnection) async throws -> T
    ) async throws -> T {
        let path = Self.path(of: url)
        let upgrade: EventLoopFuture<Upgrade>
        do {
            upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 20) { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 256, maxAccumulatedFrameSize: 16 << 20))
                                let wrapped = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                                return .upgraded(wrapped, response.headers.first(name: "Sec-WebSocket-Protocol") ?? "")
                            }
                        }
                        var headers = HTTPHeaders([("Host", "berth"), ("Content-Length", "0")])
                        if !protocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: protocols.joined(separator: ", ")) }
                        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                            upgradeRequestHead: head, upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(.refused) })
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                            configuration: .init(upgradeConfiguration: configuration))
                    }
                }
        } catch {
            throw BerthError(.unavailable, "cannot reach berthd at \(socketPath): \(error)")
        }
        let result: Upgrade
        do {
            result = try await upgrade.get()
        } catch {
            throw BerthError(.notFound, "stream \(path): berthd refused it (unknown, already used or expired URL)")
        }
        guard case .upgraded(let channel, let chosen) = result else {
            throw BerthError(.notFound, "stream \(path): berthd refused it (unknown, already used or expired URL)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let (messages, continuation) = AsyncStream.makeStream(of: [UInt8].self)
            let connection = StreamClientConnection(subprotocol: chosen, messages: messages, outbound: outbound)
            let reader = Task {
                await MessageReader.pump(inbound, into: continuation) { await connection.sendControl(.pong, $0) }
            }
            defer { reader.cancel() }
            let value = try await body(connection)
            var code = ByteBuffer()
            code.write(webSocketErrorCode: .normalClosure)
            await connection.sendControl(.connectionClose, code)
            return value
        }
    }

    /// The path of a streaming URL (`http://berth/stream/x` → `/stream/x`); a bare path stays.
    static func path(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }
}
