/// The OCI runtime specification's `config.json` (runtime-spec 1.2), as Berth writes it into a
/// container's bundle. Field names match the specification, so `runc` or `crun` can read it.
public struct Spec: Codable, Sendable, Equatable {
    public var ociVersion: String = "1.2.0"
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]?
    public var annotations: [String: String]?
    public var linux: Linux?

    public init() {}
}

public struct Process: Codable, Sendable, Equatable {
    public var terminal: Bool?
    public var user: User = User()
    public var args: [String]?
    public var env: [String]?
    public var cwd: String = "/"
    public var capabilities: Capabilities?
    public var rlimits: [Rlimit]?
    public var noNewPrivileges: Bool?
    public var apparmorProfile: String?
    public var oomScoreAdj: Int?
    public var selinuxLabel: String?

    public init() {}
}

public struct User: Codable, Sendable, Equatable {
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var umask: UInt32?
    public var additionalGids: [UInt32]?

    public init(uid: UInt32 = 0, gid: UInt32 = 0, additionalGids: [UInt32]? = nil) {
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
    }
}

/// Capability names (`CAP_CHOWN`, …) per set.
public struct Capabilities: Codable, Sendable, Equatable {
    public var bounding: [String]?
    public var effective: [String]?
    public var inheritable: [String]?
    public var permitted: [String]?
    public var ambient: [String]?

    public init(bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                permitted: [String]? = nil, ambient: [String]? = nil) {
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient
    }
}

public struct Rlimit: Codable, Sendable, Equatable {
    /// `RLIMIT_NOFILE`, …
    public var type: String
    public var hard: UInt64
    public var soft: UInt64

    public init(type: String, hard: UInt64, soft: UInt64) {
        self.type = type
        self.hard = hard
        self.soft = soft
    }
}

public struct Root: Codable, Sendable, Equatable {
    public var path: String
    public var readonly: Bool?

    public init(path: String, readonly: Bool? = nil) {
        self.path = path
        self.readonly = readonly
    }
}

public struct Mount: Codable, Sendable, Equatable {
    public var destination: String
    public var type: String?
    public var source: String?
    /// fstab-style options: `ro`, `nosuid`, `rbind`, `rslave`, `rro`, `mode=755`, …
    public var options: [String]?

    public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
    }
}
