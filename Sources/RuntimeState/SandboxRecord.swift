import CRI

/// What Berth keeps about one pod sandbox, persisted on every change.
public struct SandboxRecord: Codable, Sendable {
    public enum Phase: String, Codable, Sendable {
        /// Being set up; a record found in this phase at start-up is a crash to clean up.
        case creating
        case ready
        case notReady
    }

    public var id: String
    public var config: ProtoJSON<Runtime_V1_PodSandboxConfig>
    public var phase: Phase
    /// Nanoseconds since the epoch.
    public var createdAt: Int64
    public var runtimeHandler: String
    /// The process holding the pod's namespaces.
    public var infra: ProcessIdentity?
    /// The pod's cgroup, relative to the cgroup2 mount.
    public var cgroupPath: String
    /// The pod's directory under the runtime state directory (hosts, resolv.conf, shm).
    public var directory: String
    /// Whether the pod's `/dev/shm` is a tmpfs mounted at `directory/shm`.
    public var shmMounted: Bool
    public var hostname: String
    /// The pod's network namespace pinned under the state directory; nil for a pod on the
    /// host's network (and in records written before pod networking).
    public var netnsPath: String?
    /// The pod's addresses from the CNI ADD result, the primary one first.
    public var ips: [String]?
    /// Why a sandbox that was ready is not any more, when berthd found out by itself (the
    /// infra process gone, the network failing CNI CHECK after a restart).
    public var notReadyReason: String?

    public init(
        id: String, config: Runtime_V1_PodSandboxConfig, createdAt: Int64, runtimeHandler: String, cgroupPath: String,
        directory: String, hostname: String
    ) {
        self.id = id
        self.config = ProtoJSON(config)
        self.phase = .creating
        self.createdAt = createdAt
        self.runtimeHandler = runtimeHandler
        self.cgroupPath = cgroupPath
        self.directory = directory
        self.shmMounted = false
        self.hostname = hostname
    }

    public var metadata: Runtime_V1_PodSandboxMetadata { config.message.metadata }

    /// The name a sandbox is unique by, as containerd forms it.
    public var uniqueName: String { Self.uniqueName(metadata) }

    public static func uniqueName(_ metadata: Runtime_V1_PodSandboxMetadata) -> String {
        "\(metadata.name)_\(metadata.namespace)_\(metadata.uid)_\(metadata.attempt)"
    }

    /// Where the CNI attachment (network config as ADD used it, and its result) is cached.
    public var networkCache: String { Self.networkCache(directory: directory) }

    /// Where a pod directory keeps its CNI attachment (configuration and ADD result).
    public static func networkCache(directory: String) -> String { "\(directory)/network.json" }

    public var criState: Runtime_V1_PodSandboxState { phase == .ready ? .sandboxReady : .sandboxNotready }
}
