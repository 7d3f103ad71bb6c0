import BerthBase
import CRI
import RuntimeSpec

/// CRI `LinuxContainerResources` → the spec's cgroup resources (containerd's `WithResources`).
public enum ResourcePolicy {
    /// Zero means "not set" for every CRI field. A memory limit without a swap limit also
    /// caps swap at the same value (no swapping) when the host accounts swap. A requested
    /// limit whose controller the host lacks is refused with `failedPrecondition`.
    public static func resources(_ request: Runtime_V1_LinuxContainerResources, controllers: Set<String>,
                                 swapAvailable: Bool, field: String = "resources") throws(BerthError) -> Resources {
        func need(_ controller: String, _ name: String) throws(BerthError) {
            guard controllers.contains(controller) else {
                throw BerthError(.failedPrecondition,
                                 "\(field).\(name): the cgroup v2 \(controller) controller is not available on this host")
            }
        }
        var resources = Resources()
        var cpu = Resources.CPU()
        if request.cpuPeriod != 0 {
            try need("cpu", "cpu_period")
            guard request.cpuPeriod > 0 else { throw negative("\(field).cpu_period", request.cpuPeriod) }
            cpu.period = UInt64(request.cpuPeriod)
        }
        if request.cpuQuota != 0 {
            try need("cpu", "cpu_quota")
            cpu.quota = request.cpuQuota
        }
        if request.cpuShares != 0 {
            try need("cpu", "cpu_shares")
            guard request.cpuShares > 0 else { throw negative("\(field).cpu_shares", request.cpuShares) }
            cpu.shares = UInt64(request.cpuShares)
        }
        if !request.cpusetCpus.isEmpty {
            try need("cpuset", "cpuset_cpus")
            cpu.cpus = request.cpusetCpus
        }
        if !request.cpusetMems.isEmpty {
            try need("cpuset", "cpuset_mems")
            cpu.mems = request.cpusetMems
        }
        if cpu != Resources.CPU() { resources.cpu = cpu }

        var memory = Resources.Memory()
        if request.memoryLimitInBytes != 0 {
            try need("memory", "memory_limit_in_bytes")
            guard request.memoryLimitInBytes > 0 else { throw negative("\(field).memory_limit_in_bytes", request.memoryLimitInBytes) }
            memory.limit = request.memoryLimitInBytes
            if request.memorySwapLimitInBytes == 0 && swapAvailable {
                memory.swap = request.memoryLimitInBytes
            }
        }
        if request.memorySwapLimitInBytes != 0 {
            try need("memory", "memory_swap_limit_in_bytes")
            guard swapAvailable else {
                throw BerthError(.failedPrecondition,
                                 "\(field).memory_swap_limit_in_bytes: swap accounting is not available on this host")
            }
            // CRI counts swap as memory+swap (cgroup v1's memsw); refused here as runc would
            // refuse it when the cgroup is written.
            if request.memorySwapLimitInBytes > 0 {
                guard request.memoryLimitInBytes > 0 else {
                    throw BerthError(.invalidArgument, "\(field).memory_swap_limit_in_bytes: \(request.memorySwapLimitInBytes) needs a memory_limit_in_bytes (the swap limit counts memory+swap)")
                }
                guard request.memorySwapLimitInBytes >= request.memoryLimitInBytes else {
                    throw BerthError(.invalidArgument, "\(field).memory_swap_limit_in_bytes: \(request.memorySwapLimitInBytes) is below memory_limit_in_bytes \(request.memoryLimitInBytes) (the swap limit counts memory+swap)")
                }
            } else if request.memorySwapLimitInBytes < -1 {
                throw negative("\(field).memory_swap_limit_in_bytes", request.memorySwapLimitInBytes)
            }
            memory.swap = request.memorySwapLimitInBytes
        }
        if memory != Resources.Memory() { resources.memory = memory }

        if !request.hugepageLimits.isEmpty {
            try need("hugetlb", "hugepage_limits")
            resources.hugepageLimits = request.hugepageLimits.map { Resources.HugepageLimit(pageSize: $0.pageSize, limit: $0.limit) }
        }
        if !request.unified.isEmpty {
            for key in request.unified.keys.sorted() {
                try checkUnifiedKey(key, controllers: controllers, field: field)
                let prefix = String(key.prefix(while: { $0 != "." }))
                if prefix != "cgroup" { try need(prefix, "unified[\(key)]") }
            }
            resources.unified = request.unified
        }
        return resources
    }

    /// A `unified` key must be `CONTROLLER.FILE` naming a file in the container's own cgroup
    /// directory, like runc's "CONTROLLER.PARAMETER" rule; refused here (at create or update)
    /// rather than found wrong when the cgroup is written.
    static func checkUnifiedKey(_ key: String, controllers: Set<String>, field: String) throws(BerthError) {
        let shown = "\(field).unified: \"\(key.replacingOccurrences(of: "\0", with: "\\0"))\""
        switch Resources.unifiedKeyProblem(key) {
        case .notAFileName:
            throw BerthError(.invalidArgument, "\(shown) is not a cgroup v2 file name (CONTROLLER.FILE, like memory.high)")
        case .reserved:
            throw BerthError(.invalidArgument, "\(shown) is not a limit: it moves, kills or freezes processes or reshapes the cgroup tree")
        case nil:
            break
        }
        let prefix = String(key.prefix { $0 != "." })
        guard prefix == "cgroup" || Resources.cgroupControllers.contains(prefix) || controllers.contains(prefix) else {
            throw BerthError(.invalidArgument, "\(shown) names no cgroup v2 controller (\(prefix)); this host offers: "
                             + (controllers.isEmpty ? "none" : controllers.sorted().joined(separator: " ")))
        }
    }

    /// The limits after a CRI `UpdateContainerResources`: as containerd does, every field the
    /// update sets (non-zero, non-empty) replaces the current one and the rest stay; `unified`
    /// keys and hugepage sizes are replaced one by one. Zero cannot lift a limit (it means
    /// "not set"); -1 can, where the field takes it.
    public static func merged(_ current: Runtime_V1_LinuxContainerResources,
                              with update: Runtime_V1_LinuxContainerResources) -> Runtime_V1_LinuxContainerResources {
        var merged = current
        if update.cpuPeriod != 0 { merged.cpuPeriod = update.cpuPeriod }
        if update.cpuQuota != 0 { merged.cpuQuota = update.cpuQuota }
        if update.cpuShares != 0 { merged.cpuShares = update.cpuShares }
        if !update.cpusetCpus.isEmpty { merged.cpusetCpus = update.cpusetCpus }
        if !update.cpusetMems.isEmpty { merged.cpusetMems = update.cpusetMems }
        if update.memoryLimitInBytes != 0 {
            merged.memoryLimitInBytes = update.memoryLimitInBytes
            // A new memory limit without a swap limit means no swap again, as containerd resets it.
            merged.memorySwapLimitInBytes = 0
        }
        if update.memorySwapLimitInBytes != 0 { merged.memorySwapLimitInBytes = update.memorySwapLimitInBytes }
        for limit in update.hugepageLimits {
            if let index = merged.hugepageLimits.firstIndex(where: { $0.pageSize == limit.pageSize }) {
                merged.hugepageLimits[index] = limit
            } else {
                merged.hugepageLimits.append(limit)
            }
        }
        for (key, value) in update.unified { merged.unified[key] = value }
        return merged
    }

    private static func negative(_ field: String, _ value: Int64) -> BerthError {
        BerthError(.invalidArgument, "\(field): \(value) is negative")
    }
}
