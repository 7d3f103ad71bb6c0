import BerthBase
import Glibc
import CRI
import NativeRuntime
import RuntimeState

extension RuntimeService {
    /// CRI `RemoveContainer`: a running container is killed first; its writable layer, bundle
    /// and cgroup go, and its hold on the image's layers is released. The log file stays (the
    /// kubelet owns it). Removing a missing container succeeds.
    public func removeContainer(_ request: Runtime_V1_RemoveContainerRequest) async throws(BerthError) -> Runtime_V1_RemoveContainerResponse {
        guard let record = try await existingContainer(request.containerID) else { return .init() }
        try await removeContainer(record.id)
        return .init()
    }

    func removeContainer(_ id: String) async throws(BerthError) {
        if let record = await store.container(id), record.phase == .running || record.phase == .starting {
            try await stopContainer(id, timeout: 0)
        }
        let sandboxID = await store.container(id)?.sandboxID
        try await withKey(id) { () async throws(BerthError) in
            await teardownContainer(id)
        }
        if let sandboxID { await emit(.containerDeletedEvent, containerID: id, sandboxID: sandboxID) }
        logger.info("container removed", metadata: ["container": "\(id)"])
    }

    /// Removes everything a container holds, whatever state it got to, and forgets it.
    func teardownContainer(_ id: String) async {
        guard let record = await store.container(id) else { return }
        if let monitor = record.monitor, monitor.isAlive, let process = record.initProcess {
            ProcessControl.signal(process, SIGKILL)
            _ = await store.waitForExit(id, timeout: .seconds(5))
        }
        await removeCgroup(containerCgroupPath(record))
        ImageMounts.unmountAll(under: record.directory)
        do {
            try FileSystem.removeTree(record.bundle)
            try FileSystem.removeTree(record.directory)
            try await store.removeContainer(id)
        } catch {
            logger.error("container teardown incomplete", metadata: ["container": "\(id)", "error": "\(error)"])
        }
        await images.release(chainIDs: record.chainIDs)
    }
}
