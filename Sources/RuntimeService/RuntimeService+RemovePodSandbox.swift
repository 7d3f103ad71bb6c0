import BerthBase
import CRI
import NativeRuntime
import Network
import RuntimeState

extension RuntimeService {
    /// CRI `RemovePodSandbox`: stops the pod if it still runs, removes its containers, cgroup,
    /// files, `/dev/shm` and pinned network namespace. Removing a missing sandbox succeeds.
    public func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest) async throws(BerthError) -> Runtime_V1_RemovePodSandboxResponse {
        guard let record = try await existingSandbox(request.podSandboxID) else { return .init() }
        if record.phase != .notReady || record.infra?.isAlive == true {
            try await stopSandbox(record)
        }
        for container in await store.containers(inSandbox: record.id) {
            try await removeContainer(container.id)
        }
        // A DEL that failed at stop is retried; the pod stays until its address is released.
        try await detachNetwork(record)
        await teardownSandbox(record.id)
        logger.info("pod sandbox removed", metadata: ["sandbox": "\(record.id)"])
        return .init()
    }

    /// Undoes everything a sandbox holds on the host, whatever state it got to, and forgets it.
    /// Failures are logged: the caller already has an outcome to report. A CNI DEL that fails
    /// keeps the sandbox (NOTREADY, with the reason), its namespace and its cached attachment,
    /// so a later RemovePodSandbox can still release the address.
    func teardownSandbox(_ id: String) async {
        guard let record = await store.sandbox(id) else { return }
        if let infra = record.infra { await ProcessControl.kill(infra, grace: .seconds(5)) }
        let files = PodFiles(directory: record.directory)
        do {
            try await detachNetwork(record)
        } catch {
            logger.error("pod network teardown failed; the sandbox is kept until DEL succeeds", metadata: ["sandbox": "\(id)", "error": "\(error)"])
            _ = try? await store.updateSandbox(id) {
                $0.phase = .notReady
                $0.notReadyReason = "CNI DEL: \(error.message)"
            }
            return
        }
        do {
            try releaseNetns(record)
            await removeCgroup(record.cgroupPath)
            try files.remove()
            try await store.removeSandbox(id)
        } catch {
            logger.error("pod sandbox teardown incomplete", metadata: ["sandbox": "\(id)", "error": "\(error)"])
        }
    }
}
