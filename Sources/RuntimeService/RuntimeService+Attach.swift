import BerthBase
import CRI
import Foundation
import Glibc
import NativeRuntime
import RuntimeState
import ShimPlan
import StreamProtocol
import Synchronization

extension RuntimeService {
    /// CRI `Attach`: the request is checked here; the session starts once the URL is used.
    public func checkAttach(_ request: Runtime_V1_AttachRequest) async throws(BerthError) {
        guard request.stdin || request.stdout || request.stderr else {
            throw BerthError(.invalidArgument, "attach: one of stdin, stdout and stderr must be set")
        }
        let record = try await runningContainer(request.containerID)
        if request.tty != record.config.message.tty {
            throw BerthError(.invalidArgument, "attach: tty must match the container's (\(record.config.message.tty))")
        }
    }

    /// Attaches to the container's monitor through `<bundle>/attach.sock`: its output to
    /// channels 1 and 2, channel 0 to its stdin (when it has one), resizes to its terminal.
    /// Ends with Success when the container exits; a client leaving only detaches.
    public func streamAttach(_ request: Runtime_V1_AttachRequest, _ connection: StreamConnection) async {
        do throws(BerthError) {
            try await runAttach(request, connection)
            await connection.finish(.exit(0))
        } catch {
            await connection.finish(StreamStatus(.failure(error.message)))
        }
    }

    private func runAttach(_ request: Runtime_V1_AttachRequest, _ connection: StreamConnection) async throws(BerthError) {
        let record = try await runningContainer(request.containerID)
        let socket = try StreamFds.connectUnix("\(record.bundle)/attach.sock")
        let writer: Int32
        do {
            writer = try StreamFds.duplicate(socket)
        } catch {
            close(socket)
            throw error
        }
        let withStdin = request.stdin && record.config.message.stdin
        guard StreamFds.writeAll(writer, Self.attachFrame(6, Array((withStdin ? "1" : "0").utf8))) else {
            close(writer)
            close(socket)
            throw BerthError(.unavailable, "container \(record.id): its monitor refused the attach")
        }
        let stop = CancellationFlag()
        let reader = Task {
            var pending: [UInt8] = []
            for await chunk in StreamFds.chunks(socket, stop: stop) {
                pending += chunk
                while pending.count >= 5 {
                    let length = pending[1...4].reduce(0) { $0 << 8 | Int($1) }
                    guard pending.count >= 5 + length else { break }
                    let kind = pending[0]
                    let payload = Array(pending[5 ..< 5 + length])
                    pending.removeFirst(5 + length)
                    if kind == 1, request.stdout { await connection.send(.stdout, payload) }
                    if kind == 2, request.stderr { await connection.send(.stderr, payload) }
                }
            }
        }
        let input = Task {
            for await message in connection.messages {
                guard let frame = ChannelFrame(decoding: message) else { continue }
                switch StreamChannel(rawValue: frame.channel) {
                case .stdin where withStdin:
                    _ = await StreamFds.write(writer, Self.attachFrame(0, frame.payload))
                case .resize:
                    if let size = TerminalSize(decoding: frame.payload) {
                        _ = StreamFds.writeAll(writer, Self.attachFrame(4, Array("\(size.width) \(size.height)".utf8)))
                    }
                case .close where frame.payload.first == StreamChannel.stdin.rawValue && withStdin:
                    _ = StreamFds.writeAll(writer, Self.attachFrame(5, []))
                default:
                    break
                }
            }
            // Detached: the monitor sees the socket close (and applies stdin_once).
            shutdown(writer, Int32(SHUT_RDWR))
        }
        await reader.value
        input.cancel()
        shutdown(writer, Int32(SHUT_RDWR))
        close(writer)
    }

    static func attachFrame(_ kind: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [kind, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + payload
    }
}
