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
            memory.swap = request.memorySwapLimitInBytes
        }
        if memory != Resources.Memory() { resources.memory = memory }

        if !request.hugepageLimits.isEmpty {
            try need("hugetlb", "hugepage_limits")
            resources.hugepageLimits = request.hugepageLimits.map { Resources.HugepageLimit(pageSize: $0.pageSize, limit: $0.limit) }
        }
        if !request.unified.isEmpty {
            for key in request.unified.keys.sorted() {
                guard !key.isEmpty, !key.contains("/"), key != ".", key != ".." else {
                    throw BerthError(.invalidArgument, "\(field).unified: \"\(key)\" is not a cgroup file name")
                }
                let prefix = String(key.prefix(while: { $0 != "." }))
                if SandboxContext.allControllers.contains(prefix) || prefix == "rdma" || prefix == "misc" {
                    try need(prefix, "unified[\(key)]")
                }
            }
            resources.unified = request.unified
        }
        return resources
    }

    private static func negative(_ field: String, _ value: Int64) -> BerthError {
        BerthError(.invalidArgument, "\(field): \(value) is negative")
    }
}
