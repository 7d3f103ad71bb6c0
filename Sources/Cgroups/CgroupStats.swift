#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// A cgroup's usage at one moment. A part whose controller the cgroup lacks is nil.
public struct CgroupStats: Sendable, Equatable {
    /// When the files were read: nanoseconds since the Unix epoch, as the CRI reports it.
    public var timestampNanoseconds: Int64
    public var cpu: CPU?
    public var memory: Memory?
    public var pids: Pids?

    public init(timestampNanoseconds: Int64, cpu: CPU? = nil, memory: Memory? = nil, pids: Pids? = nil) {
        self.timestampNanoseconds = timestampNanoseconds
        self.cpu = cpu
        self.memory = memory
        self.pids = pids
    }

    /// From `cpu.stat`, which every cgroup has; the throttling counts need the cpu controller.
    public struct CPU: Sendable, Equatable {
        public var usageMicroseconds: UInt64
        public var userMicroseconds: UInt64
        public var systemMicroseconds: UInt64
        public var periods: UInt64?
        public var throttledPeriods: UInt64?
        public var throttledMicroseconds: UInt64?

        public init(usageMicroseconds: UInt64, userMicroseconds: UInt64, systemMicroseconds: UInt64,
                    periods: UInt64? = nil, throttledPeriods: UInt64? = nil, throttledMicroseconds: UInt64? = nil) {
            self.usageMicroseconds = usageMicroseconds
            self.userMicroseconds = userMicroseconds
            self.systemMicroseconds = systemMicroseconds
            self.periods = periods
            self.throttledPeriods = throttledPeriods
            self.throttledMicroseconds = throttledMicroseconds
        }
    }

    /// From `memory.current`, `memory.stat` and `memory.events`.
    public struct Memory: Sendable, Equatable {
        /// Bytes charged to the cgroup (page cache included).
        public var usageBytes: UInt64
        /// Usage less inactive file pages, which the kernel reclaims first: what the kubelet evicts on.
        public var workingSetBytes: UInt64
        /// Anonymous memory (the cgroup v2 counterpart of v1's rss).
        public var anonBytes: UInt64?
        public var fileBytes: UInt64?
        public var pageFaults: UInt64?
        public var majorPageFaults: UInt64?
        /// Times the limit was hit and reclaim failed (`oom`), and processes OOM-killed (`oom_kill`).
        public var oomEvents: UInt64?
        public var oomKills: UInt64?
        /// The limit in bytes; nil when there is none (`max`).
        public var limitBytes: UInt64?

        public init(usageBytes: UInt64, workingSetBytes: UInt64, anonBytes: UInt64? = nil, fileBytes: UInt64? = nil,
                    pageFaults: UInt64? = nil, majorPageFaults: UInt64? = nil, oomEvents: UInt64? = nil,
                    oomKills: UInt64? = nil, limitBytes: UInt64? = nil) {
            self.usageBytes = usageBytes
            self.workingSetBytes = workingSetBytes
            self.anonBytes = anonBytes
            self.fileBytes = fileBytes
            self.pageFaults = pageFaults
            self.majorPageFaults = majorPageFaults
            self.oomEvents = oomEvents
            self.oomKills = oomKills
            self.limitBytes = limitBytes
        }
    }

    /// From `pids.current` and `pids.max`.
    public struct Pids: Sendable, Equatable {
        public var current: UInt64
        /// nil when unlimited (`max`).
        public var limit: UInt64?

        public init(current: UInt64, limit: UInt64? = nil) {
            self.current = current
            self.limit = limit
        }
    }
}

extension Cgroup {
    /// The cgroup's current usage. Files a missing controller would provide give nil parts;
    /// a cgroup that does not exist is `notFound`.
    public func stats() throws(BerthError) -> CgroupStats {
        guard exists else { throw BerthError(.notFound, "read stats of cgroup \(path): it does not exist under \(mount.path)") }
        let file = { (name: String) throws(BerthError) -> String? in try CgroupFiles.read("\(directory)/\(name)") }
        var stats = CgroupStats(timestampNanoseconds: Self.now())
        if let text = try file("cpu.stat") { stats.cpu = CgroupStats.cpu(from: text) }
        if let current = try file("memory.current") {
            stats.memory = CgroupStats.memory(current: current, stat: try file("memory.stat"),
                                              events: try file("memory.events"), max: try file("memory.max"))
        }
        if let current = try file("pids.current"), let value = UInt64(current.trimmed) {
            stats.pids = CgroupStats.Pids(current: value, limit: (try file("pids.max")).flatMap { UInt64($0.trimmed) })
        }
        return stats
    }

    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

extension CgroupStats {
    /// Parses `cpu.stat`; nil when it lacks `usage_usec`.
    public static func cpu(from text: String) -> CPU? {
        let values = CgroupFiles.keyedValues(text)
        guard let usage = values["usage_usec"] else { return nil }
        return CPU(usageMicroseconds: usage, userMicroseconds: values["user_usec"] ?? 0,
                   systemMicroseconds: values["system_usec"] ?? 0, periods: values["nr_periods"],
                   throttledPeriods: values["nr_throttled"], throttledMicroseconds: values["throttled_usec"])
    }

    /// Parses the memory files' texts; nil when `memory.current` is not a number.
    public static func memory(current: String, stat: String?, events: String?, max: String?) -> Memory? {
        guard let usage = UInt64(current.trimmed) else { return nil }
        let stat = stat.map(CgroupFiles.keyedValues) ?? [:]
        let events = events.map(CgroupFiles.keyedValues) ?? [:]
        let inactiveFile = stat["inactive_file"] ?? 0
        return Memory(usageBytes: usage, workingSetBytes: usage > inactiveFile ? usage - inactiveFile : 0,
                      anonBytes: stat["anon"], fileBytes: stat["file"], pageFaults: stat["pgfault"],
                      majorPageFaults: stat["pgmajfault"], oomEvents: events["oom"], oomKills: events["oom_kill"],
                      limitBytes: max.flatMap { UInt64($0.trimmed) })
    }
}

extension String {
    var trimmed: String { String(self.filter { !$0.isWhitespace }) }
}
