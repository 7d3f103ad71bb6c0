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
