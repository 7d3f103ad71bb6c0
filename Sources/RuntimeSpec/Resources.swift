/// Resource limits of a container's cgroup, as the runtime specification names them.
public struct Resources: Codable, Sendable, Equatable {
    public var devices: [DeviceRule]?
    public var memory: Memory?
    public var cpu: CPU?
    public var pids: Pids?
    public var hugepageLimits: [HugepageLimit]?
    /// cgroup v2 files written as they are (`memory.high` → `"1000000"`).
    public var unified: [String: String]?

    public init() {}

    public struct DeviceRule: Codable, Sendable, Equatable {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?

        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        /// Memory plus swap, as cgroup v1 counts it (-1: unlimited).
        public var swap: Int64?

        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
        }
    }

    public struct CPU: Codable, Sendable, Equatable {
        public var shares: UInt64?
        public var quota: Int64?
        public var period: UInt64?
        public var cpus: String?
        public var mems: String?

        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, cpus: String? = nil, mems: String? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.cpus = cpus
            self.mems = mems
        }
    }

    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64

        public init(limit: Int64) { self.limit = limit }
    }

    public struct HugepageLimit: Codable, Sendable, Equatable {
        /// `2MB`, `1GB`.
        public var pageSize: String
        public var limit: UInt64

        public init(pageSize: String, limit: UInt64) {
            self.pageSize = pageSize
            self.limit = limit
        }
    }
}

extension Resources {
    /// The cgroup v2 controllers known by name; a `unified` key whose prefix is one of them
    /// needs that controller.
    public static let cgroupControllers: Set<String> = ["cpu", "cpuset", "hugetlb", "io", "memory", "misc", "pids", "rdma"]

    /// Core files that move, kill or freeze the cgroup's processes or reshape the tree the
    /// runtime manages: not limits, so never written from a `unified` map.
    public static let reservedCgroupFiles: Set<String> = [
        "cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.subtree_control", "cgroup.type",
    ]

    /// What is wrong with `key` as a `unified` entry, or nil. A key must name a file in the
    /// container's own cgroup directory, `CONTROLLER.FILE` like runc's rule, and not one of the
    /// reserved core files. The one rule for the policy (at create and update) and for the
    /// cgroup writer (the last line).
    public static func unifiedKeyProblem(_ key: String) -> UnifiedKeyProblem? {
        guard !key.contains("/"), !key.utf8.contains(0), key != ".", key != "..",
              let dot = key.firstIndex(of: "."), dot != key.startIndex, key.index(after: dot) != key.endIndex else {
            return .notAFileName
        }
        return reservedCgroupFiles.contains(key) ? .reserved : nil
    }

    /// Why a `unified` key is refused.
    public enum UnifiedKeyProblem: Sendable, Equatable {
        /// Not `CONTROLLER.FILE`, or it would leave the cgroup directory.
        case notAFileName
        /// A core file that moves, kills or freezes processes or reshapes the tree.
        case reserved
    }
}
