import BerthBase
import Glibc
import CRI
import NativeRuntime
import RuntimeState

extension RuntimeService {
    /// CRI `StopContainer`: the stop signal, then SIGKILL once `timeout` seconds pass (at
    /// once for 0). Stopping an exited or missing container succeeds.
    public func stopContainer(_ request: Runtime_V1_StopContainerRequest) async throws(BerthError) -> Runtime_V1_StopContainerResponse {
        guard let record = try await existingContainer(request.containerID) else { return .init() }
        try await stopContainer(record.id, timeout: max(0, request.timeout))
        return .init()
    }

    /// Looks a container up for an idempotent call: missing is nil, not an error.
    func existingContainer(_ query: String) async throws(BerthError) -> ContainerRecord? {
        do {
            return try await store.findContainer(query)
        } catch where error.code == .notFound {
            return nil
        }
    }

    func stopContainer(_ id: String, timeout: Int64) async throws(BerthError) {
        try await withKey(id) { () async throws(BerthError) in
            guard let record = await store.container(id), record.phase == .running, let process = record.initProcess else { return }
            if timeout > 0, let number = Signals.number(record.stopSignal), number != SIGKILL {
                ProcessControl.signal(process, number)
                if await store.waitForExit(id, timeout: .seconds(timeout)) { return }
                logger.info("container ignored its stop signal; killing", metadata: ["container": "\(id)", "signal": "\(record.stopSignal)"])
            }
            ProcessControl.signal(process, SIGKILL)
            if await store.waitForExit(id, timeout: .seconds(10)) { return }
            // The monitor should have reported by now; if it is gone, record what we know.
            if let monitor = record.monitor, !monitor.isAlive { await recordExit(id) }
            guard await store.waitForExit(id, timeout: .seconds(2)) else {
                throw BerthError(.deadlineExceeded, "container \(id) did not exit after SIGKILL")
            }
        }
    }
}
