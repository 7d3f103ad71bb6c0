import BerthBase
import Glibc
import CRI
import NativeRuntime
import RuntimeState

extension RuntimeService {
    /// CRI `ReopenContainerLog`: the monitor closes the log file and opens the path again
    /// (after a rotation renamed it); answers once the new file exists.
    public func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest) async throws(BerthError) -> Runtime_V1_ReopenContainerLogResponse {
        let record = try await store.findContainer(request.containerID)
        guard record.phase == .running, let monitor = record.monitor, monitor.isAlive else {
            throw BerthError(.failedPrecondition, "container \(record.id) is not running")
        }
        guard !record.logPath.isEmpty else { return .init() }
        guard ProcessControl.signal(monitor, SIGUSR1) else {
            throw BerthError(.failedPrecondition, "container \(record.id): its monitor is gone")
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while !FileSystem.exists(record.logPath) {
            guard ContinuousClock.now < deadline else {
                throw BerthError(.deadlineExceeded, "container \(record.id): log \(record.logPath) was not reopened")
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return .init()
    }
}
