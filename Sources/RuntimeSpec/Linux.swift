/// The Linux-specific part of a runtime Spec.
public struct Linux: Codable, Sendable, Equatable {
    public var namespaces: [Namespace]?
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    public var devices: [Device]?
    public var cgroupsPath: String?
    public var resources: Resources?
    public var rootfsPropagation: String?
    public var seccomp: Seccomp?
    public var sysctl: [String: String]?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?

    public init() {}
}

public struct Namespace: Codable, Sendable, Equatable {
    /// `pid`, `network`, `mount`, `ipc`, `uts`, `user`, `cgroup`, `time`.
    public var type: String
    /// Join the namespace at this path; nil for a new one.
    public var path: String?

    public init(type: String, path: String? = nil) {
        self.type = type
        self.path = path
    }
}

public struct IDMapping: Codable, Sendable, Equatable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }
}

public struct Device: Codable, Sendable, Equatable {
    /// `c`, `b`, `u` or `p`.
    public var type: String
    public var path: String
    public var major: Int64?
    public var minor: Int64?
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(type: String, path: String, major: Int64? = nil, minor: Int64? = nil, fileMode: UInt32? = nil,
                uid: UInt32? = nil, gid: UInt32? = nil) {
        self.type = type
        self.path = path
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }
}
