import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `PodSandboxStats`: the pod cgroup's cpu, memory and process count, with every
    /// container's stats.
    public func podSandboxStats(_ request: Runtime_V1_PodSandboxStatsRequest) async throws(BerthError) -> Runtime_V1_PodSandboxStatsResponse {
        let record = try await store.findSandbox(request.podSandboxID)
        var response = Runtime_V1_PodSandboxStatsResponse()
        response.stats = await stats(of: record)
        return response
    }

    func stats(of record: SandboxRecord) async -> Runtime_V1_PodSandboxStats {
        var stats = Runtime_V1_PodSandboxStats()
        stats.attributes.id = record.id
        stats.attributes.metadata = record.metadata
        stats.attributes.labels = record.config.message.labels
        stats.attributes.annotations = record.config.message.annotations
        let now = nowNanos()
        if record.phase == .ready, let sample = cgroupStats(record.cgroupPath) {
            stats.linux.cpu = await cpuUsage(sample, key: "pod-" + record.id, now: now)
            stats.linux.memory = memoryUsage(sample, now: now)
            if let pids = sample.pids?.current {
                stats.linux.process.timestamp = now
                stats.linux.process.processCount.value = pids
            }
        }
        for container in await store.containers(inSandbox: record.id) {
            stats.linux.containers.append(await self.stats(of: container))
        }
        return stats
    }
}
