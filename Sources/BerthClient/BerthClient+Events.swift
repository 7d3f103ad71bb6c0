import BerthBase
import CRI
import SwiftProtobuf

extension BerthClient {
    /// The container lifecycle events from now on (`GetContainerEvents`), until the iteration
    /// ends or berthd drops the subscription for falling behind.
    public func containerEvents() -> AsyncThrowingStream<Runtime_V1_ContainerEventResponse, any Error> {
        let lines = stream("/runtime.v1.RuntimeService/GetContainerEvents", body: Array("{}".utf8))
        let (events, continuation) = AsyncThrowingStream<Runtime_V1_ContainerEventResponse, any Error>.makeStream()
        let task = Task {
            do {
                for try await line in lines {
                    do {
                        continuation.yield(try Runtime_V1_ContainerEventResponse(jsonUTF8Bytes: line))
                    } catch {
                        throw BerthError(.internal, "GetContainerEvents: a line does not decode: \(error)")
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return events
    }
}
