import CRI
import SwiftProtobuf

/// `GetContainerEvents` on the wire: one proto3-JSON `ContainerEventResponse` per line, for as
/// long as the client reads (or until the feed drops it for falling behind).
enum EventStream {
    static func lines(_ events: AsyncStream<Runtime_V1_ContainerEventResponse>) -> AsyncThrowingStream<[UInt8], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let task = Task {
            for await event in events {
                guard let line: [UInt8] = try? event.jsonUTF8Bytes() else { continue }
                continuation.yield(line + [0x0a])
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
