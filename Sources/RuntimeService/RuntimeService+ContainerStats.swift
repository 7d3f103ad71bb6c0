import BerthBase
import CRI
import Cgroups
import RuntimeState

extension RuntimeService {
    /// CRI `ContainerStats`: cpu and memory from the container's cgroup, and its writable layer.
    public func containerStats(_ request: Runtime_V1_ContainerStatsRequest) async throws(BerthError) -> Runtime_V1_ContainerStatsResponse {
        let record = try await store.findContainer(request.containerID)
        var response = Runtime_V1_ContainerStatsResponse()
        response.stats = await stats(of: record)
        return response
    }

    func stats(of record: ContainerRecord) async -> Runtime_V1_ContainerStats {
        var stats = Runtime_V1_ContainerStats()
        stats.attributes.id = record.id
        stats.attributes.metadata = record.metadata
        stats.attributes.labels = record.config.message.labels
        stats.attributes.annotations = record.config.message.annotations
        let now = nowNanos()
        if record.phase == .running, let sample = cgroupStats(containerCgroupPath(record)) {
            stats.cpu = await cpuUsage(sample, key: record.id, now: now)
            stats.memory = memoryUsage(sample, now: now)
        }
        let usage = FileSystem.usage("\(record.directory)/upper")
        stats.writableLayer.timestamp = now
        stats.writableLayer.fsID.mountpoint = paths.root
        stats.writableLayer.usedBytes.value = usage.bytes
        stats.writableLayer.inodesUsed.value = usage.inodes
        return stats
    }

    func cpuUsage(_ sample: CgroupStats, key: String, now: Int64) async -> Runtime_V1_CpuUsage {
        var cpu = Runtime_V1_CpuUsage()
        cpu.timestamp = now
        guard let usec = sample.cpu?.usageMicroseconds else { return cpu }
        let total = usec * 1000
        cpu.usageCoreNanoSeconds.value = total
        if let rate = await cpuRates.rate(key: key, total: total, at: now) {
            cpu.usageNanoCores.value = rate
        }
        return cpu
    }

    func memoryUsage(_ sample: CgroupStats, now: Int64) -> Runtime_V1_MemoryUsage {
        var memory = Runtime_V1_MemoryUsage()
        memory.timestamp = now
        guard let stats = sample.memory else { return memory }
        memory.usageBytes.value = stats.usageBytes
        memory.workingSetBytes.value = stats.workingSetBytes
        if let rss = stats.anonBytes { memory.rssBytes.value = rss }
        if let limit = stats.limitBytes, limit >= stats.workingSetBytes { memory.availableBytes.value = limit - stats.workingSetBytes }
        if let faults = stats.pageFaults { memory.pageFaults.value = faults }
        if let major = stats.majorPageFaults { memory.majorPageFaults.value = major }
        return memory
    }
}

/// The previous cpu sample per container or pod, to turn cumulative usage into a rate.
/// Samples of containers and pods no longer asked about are dropped after a while.
actor CpuRates {
    private var previous: [String: (total: UInt64, at: Int64)] = [:]
    private var prunedAt: Int64 = 0
    static let keep: Int64 = 600_000_000_000

    var samples: Int { previous.count }

    func rate(key: String, total: UInt64, at time: Int64) -> UInt64? {
        defer {
            previous[key] = (total, time)
            if time - prunedAt > Self.keep / 10 {
                previous = previous.filter { time - $0.value.at < Self.keep }
                prunedAt = time
            }
        }
        guard let last = previous[key], time > last.at, total >= last.total else { return nil }
        return UInt64(Double(total - last.total) / Double(time - last.at) * 1e9)
    }
}
