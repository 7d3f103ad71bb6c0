import BerthBase
import RuntimeSpec

/// One value for one cgroup v2 interface file, and the controller that provides the file.
public struct CgroupSetting: Sendable, Equatable {
    /// The file's name in the cgroup directory (`memory.max`).
    public var file: String
    public var value: String
    /// The controller the file belongs to; nil for `cgroup.*` core files.
    public var controller: String?
    /// Written only where the kernel has the file (one that older kernels lack).
    public var optional: Bool

    public init(file: String, value: String, controller: String?, optional: Bool = false) {
        self.file = file
        self.value = value
        self.controller = controller
        self.optional = optional
    }
}

/// The translation of the runtime specification's resource limits to cgroup v2 files, as
/// runc and crun do it.
public enum CgroupSettings {
    /// The files to write for `resources`, in order (`unified` last, so it overrides).
    /// Device rules are not files in cgroup v2 (they are an eBPF program) and are not handled here.
    public static func settings(for resources: Resources) throws(BerthError) -> [CgroupSetting] {
        var settings: [CgroupSetting] = []
        func set(_ file: String, _ value: String, _ controller: String?, optional: Bool = false) {
            settings.append(CgroupSetting(file: file, value: value, controller: controller, optional: optional))
        }
        if let cpu = resources.cpu {
            if let shares = cpu.shares, shares != 0 { set("cpu.weight", String(cpuWeight(shares: shares)), "cpu") }
            if cpu.quota != nil || cpu.period != nil {
                let quota = cpu.quota ?? 0
                let period = cpu.period.flatMap { $0 == 0 ? nil : $0 } ?? 100_000
                set("cpu.max", "\(quota > 0 ? String(quota) : "max") \(period)", "cpu")
            }
            if let cpus = cpu.cpus, !cpus.isEmpty { set("cpuset.cpus", cpus, "cpuset") }
            if let mems = cpu.mems, !mems.isEmpty { set("cpuset.mems", mems, "cpuset") }
        }
        if let memory = resources.memory {
            if let limit = memory.limit, let value = limitValue(limit) { set("memory.max", value, "memory") }
            if let low = memory.reservation, let value = limitValue(low) { set("memory.low", value, "memory") }
            if let value = try swapValue(swap: memory.swap ?? 0, limit: memory.limit ?? 0) {
                set("memory.swap.max", value, "memory")
            }
        }
        if let pids = resources.pids, pids.limit != 0 {
            // 0 means unset, as in runc; a negative limit is no limit.
            set("pids.max", pids.limit > 0 ? String(pids.limit) : "max", "pids")
        }
        for hugepage in resources.hugepageLimits ?? [] {
            guard !hugepage.pageSize.isEmpty, hugepage.pageSize.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw BerthError(.invalidArgument, "hugepage limit: page size \(quoted(hugepage.pageSize)) is not a size like 2MB")
            }
            set("hugetlb.\(hugepage.pageSize).max", String(hugepage.limit), "hugetlb")
            // Like runc: the same cap on reservations (kernel 5.7+), so an over-limit mmap fails
            // with ENOMEM up front instead of a SIGBUS at the first touch.
            set("hugetlb.\(hugepage.pageSize).rsvd.max", String(hugepage.limit), "hugetlb", optional: true)
        }
        for (key, value) in (resources.unified ?? [:]).sorted(by: { $0.key < $1.key }) {
            switch Resources.unifiedKeyProblem(key) {
            case .notAFileName:
                throw BerthError(.invalidArgument, "unified cgroup setting \(quoted(key.replacingNUL)): not a file name in the cgroup directory")
            case .reserved:
                throw BerthError(.invalidArgument, "unified cgroup setting \(quoted(key)): a core file, not a limit")
            case nil:
                break
            }
            let prefix = String(key.prefix { $0 != "." })
            set(key, value, Resources.cgroupControllers.contains(prefix) ? prefix : nil)
        }
        return settings
    }

    /// cgroup v1 CPU shares (2 … 262144) as a cgroup v2 weight (1 … 10000), the OCI formula.
    public static func cpuWeight(shares: UInt64) -> UInt64 {
        let shares = min(max(shares, 2), 262_144)
        return 1 + ((shares - 2) * 9999) / 262_142
    }

    /// A memory amount: -1 is "max", 0 means unset.
    static func limitValue(_ value: Int64) -> String? {
        value == 0 ? nil : value < 0 ? "max" : String(value)
    }

    /// The specification counts swap as memory+swap (cgroup v1's memsw); cgroup v2 limits swap
    /// alone, so memory.swap.max is their difference. nil: leave it alone.
    /// Like runc, an unlimited memory without a swap limit lifts the swap limit too.
    static func swapValue(swap: Int64, limit: Int64) throws(BerthError) -> String? {
        if swap == 0 { return limit < 0 ? "max" : nil }
        if swap < 0 { return "max" }
        guard limit > 0 else {
            throw BerthError(.invalidArgument, "memory swap limit \(swap): a swap limit needs a memory limit")
        }
        guard swap >= limit else {
            throw BerthError(.invalidArgument, "memory swap limit \(swap): memory+swap must be at least the memory limit \(limit)")
        }
        return String(swap - limit)
    }
}
