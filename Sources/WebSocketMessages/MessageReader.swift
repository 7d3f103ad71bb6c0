import NIOCore
import NIOWebSocket

/// Turns incoming WebSocket frames into whole binary or text messages, for the streaming
/// server and its client alike: pings are answered through `pong`, a close frame or the end
/// of the connection ends the message stream.
public enum MessageReader {
    /// Reads `inbound` until it closes, yielding each message's bytes to `continuation`.
    public static func pump(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        into continuation: AsyncStream<[UInt8]>.Continuation,
        pong: @Sendable (ByteBuffer) async -> Void
    ) async {
        defer { continuation.finish() }
        do {
            for try await frame in inbound {
                switch frame.opcode {
                case .binary, .text:
                    var data = frame.unmaskedData
                    continuation.yield(data.readBytes(length: data.readableBytes) ?? [])
                case .ping:
                    await pong(frame.unmaskedData)
                case .connectionClose:
                    return
                default:
                    break
                }
            }
        } catch {}
    }
}
