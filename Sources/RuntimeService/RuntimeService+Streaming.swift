import BerthBase
import CRI
import Foundation
import Glibc
import NativeRuntime
import RuntimeState
import ShimPlan
import StreamProtocol
import Synchronization

/// One upgraded streaming connection as a session sees it: the client's channel messages
/// and a way to send one. `messages` ends when the client closes or goes away.
public struct StreamConnection: Sendable {
    public var messages: AsyncStream<[UInt8]>
    public var send: @Sendable ([UInt8]) async -> Bool

    public init(messages: AsyncStream<[UInt8]>, send: @escaping @Sendable ([UInt8]) async -> Bool) {
        self.messages = messages
        self.send = send
    }

    func send(_ channel: StreamChannel, _ payload: [UInt8]) async {
        _ = await send(ChannelFrame(channel, payload).encoded)
    }

    func finish(_ status: StreamStatus) async {
        await send(.error, status.encoded)
    }
}

/// What the streaming methods (Exec, Attach, PortForward; one file each) share: the sandbox
/// and container they act on, and output pumped to the client.
extension RuntimeService {
    func runningContainer(_ id: String) async throws(BerthError) -> ContainerRecord {
        let record = try await store.findContainer(id)
        guard record.phase == .running, let process = record.initProcess, process.isAlive else {
            throw BerthError(.failedPrecondition, "container \(record.id) is not running")
        }
        return record
    }

    func readySandbox(_ id: String) async throws(BerthError) -> SandboxRecord {
        let record = try await store.findSandbox(id)
        guard record.phase == .ready, let infra = record.infra, infra.isAlive else {
            throw BerthError(.failedPrecondition, "pod sandbox \(record.id) is not ready")
        }
        return record
    }

    /// Sends what `fd` yields on `channel` (or discards it when the client did not ask for it).
    static func pump(_ fd: Int32, to channel: StreamChannel, _ wanted: Bool, _ connection: StreamConnection, stop: CancellationFlag) async {
        for await chunk in StreamFds.chunks(fd, stop: stop) where wanted {
            await connection.send(channel, chunk)
        }
    }
}
