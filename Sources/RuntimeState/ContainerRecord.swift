import CRI

/// What Berth keeps about one container, persisted on every change.
public struct ContainerRecord: Codable, Sendable {
    public enum Phase: String, Codable, Sendable {
        /// Being created; a record found in this phase at start-up is a crash to clean up.
        case creating
        case created
        /// StartContainer is under way; found at start-up, the shim's state file tells.
        case starting
        case running
        case exited
    }

    public var id: String
    public var sandboxID: String
    public var config: ProtoJSON<Runtime_V1_ContainerConfig>
    public var phase: Phase
    /// The image id (config digest) and the name it was asked for by.
    public var imageID: String
    public var imageName: String
    /// The image's layers, base first: held against garbage collection while the container exists.
    public var chainIDs: [String]
    /// Nanoseconds since the epoch; 0 when not yet.
    public var createdAt: Int64
    public var startedAt: Int64 = 0
    public var finishedAt: Int64 = 0
    public var exitCode: Int32 = 0
    public var reason: String = ""
    public var message: String = ""
    /// The container's first process and its monitor.
    public var initProcess: ProcessIdentity?
    public var monitor: ProcessIdentity?
    /// Absolute path of the CRI log file; empty when the pod has no log directory.
    public var logPath: String
    /// The signal StopContainer sends first (`SIGTERM` unless the image says otherwise).
    public var stopSignal: String
    /// The container's directory under the persistent root (upper and work layers).
    public var directory: String
    /// The bundle directory under the runtime state directory (config.json, rootfs, plan).
    public var bundle: String
    /// The container's cgroup, relative to the cgroup2 mount.
    public var cgroupPath: String = ""

    public init(
        id: String, sandboxID: String, config: Runtime_V1_ContainerConfig, imageID: String, imageName: String,
        chainIDs: [String], createdAt: Int64, logPath: String, stopSignal: String, directory: String, bundle: String
    ) {
        self.id = id
        self.sandboxID = sandboxID
        self.config = ProtoJSON(config)
        self.phase = .creating
        self.imageID = imageID
        self.imageName = imageName
        self.chainIDs = chainIDs
        self.createdAt = createdAt
        self.logPath = logPath
        self.stopSignal = stopSignal
        self.directory = directory
        self.bundle = bundle
    }

    public var metadata: Runtime_V1_ContainerMetadata { config.message.metadata }

    /// Unique within a pod by name and attempt, as CRI requires.
    public static func uniqueName(_ metadata: Runtime_V1_ContainerMetadata, sandboxID: String) -> String {
        "\(metadata.name)_\(metadata.attempt)_\(sandboxID)"
    }

    public var uniqueName: String { Self.uniqueName(metadata, sandboxID: sandboxID) }

    public var criState: Runtime_V1_ContainerState {
        switch phase {
        case .creating, .created, .starting: .containerCreated
        case .running: .containerRunning
        case .exited: .containerExited
        }
    }
}
