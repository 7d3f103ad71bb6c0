import RuntimeSpec

/// Host-side facts about a pod that the daemon knows and the policy needs: where the pod's
/// files and namespaces are on the host. The policy never looks at the host itself.
public struct SandboxContext: Sendable, Equatable {
    /// The sandbox id (`io.kubernetes.cri.sandbox-id`).
    public var sandboxID: String
    /// The pod's `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` on the host; nil: none
    /// (the container gets no bind for it, as containerd when the file is missing).
    public var hostnamePath: String?
    public var hostsPath: String?
    public var resolvConfPath: String?
    /// The pod's `/dev/shm` on the host (a tmpfs the daemon mounted); nil: none.
    public var shmPath: String?
    /// The host's own `/dev/shm`, bound instead of the pod's when IPC is the node's.
    public var hostShmPath: String = "/dev/shm"
    /// The pod infra process's namespaces (`/proc/123/ns/net`, …); nil: not held by the infra.
    public var networkNamespacePath: String?
    public var ipcNamespacePath: String?
    public var utsNamespacePath: String?
    public var pidNamespacePath: String?
    public var userNamespacePath: String?
    /// The node's hostname, used when the pod config names none.
    public var nodeHostname: String
    /// Every device node of the host, given to privileged containers and used to resolve
    /// the CRI `devices` field.
    public var hostDevices: [Device]
    /// cgroup v2 controllers enabled for the pod's cgroup (`cpu`, `cpuset`, `memory`,
    /// `hugetlb`, `pids`, `io`).
    public var cgroupControllers: Set<String>
    /// Whether the host accounts swap (`memory.swap.max` exists).
    public var swapAvailable: Bool

    public static let allControllers: Set<String> = ["cpu", "cpuset", "memory", "hugetlb", "pids", "io"]

    public init(sandboxID: String, hostnamePath: String? = nil, hostsPath: String? = nil, resolvConfPath: String? = nil,
                shmPath: String? = nil, networkNamespacePath: String? = nil, ipcNamespacePath: String? = nil,
                utsNamespacePath: String? = nil, pidNamespacePath: String? = nil, userNamespacePath: String? = nil,
                nodeHostname: String = "localhost", hostDevices: [Device] = [],
                cgroupControllers: Set<String> = SandboxContext.allControllers, swapAvailable: Bool = true) {
        self.sandboxID = sandboxID
        self.hostnamePath = hostnamePath
        self.hostsPath = hostsPath
        self.resolvConfPath = resolvConfPath
        self.shmPath = shmPath
        self.networkNamespacePath = networkNamespacePath
        self.ipcNamespacePath = ipcNamespacePath
        self.utsNamespacePath = utsNamespacePath
        self.pidNamespacePath = pidNamespacePath
        self.userNamespacePath = userNamespacePath
        self.nodeHostname = nodeHostname
        self.hostDevices = hostDevices
        self.cgroupControllers = cgroupControllers
        self.swapAvailable = swapAvailable
    }
}

/// Host-side facts about one container.
public struct ContainerContext: Sendable, Equatable {
    public var containerID: String
    /// The container's root filesystem on the host (the overlay's mount point).
    public var rootfsPath: String
    /// The container's cgroup, relative to the cgroup2 mount (see `CgroupPaths`).
    public var cgroupsPath: String
    /// The image name recorded in `io.kubernetes.cri.image-name`.
    public var imageName: String
    /// A per-container directory on the host under which image `Volumes` get their
    /// empty directories (`<volumesDirectory>/volume-<n>`).
    public var volumesDirectory: String
    /// With PID namespace mode TARGET: the target container's PID namespace
    /// (`/proc/<pid>/ns/pid`), looked up by the daemon from `target_id`.
    public var targetPIDNamespacePath: String?
    /// Resource limits every container gets unless asked otherwise (containerd: none).
    public var defaultRlimits: [Rlimit]

    public init(containerID: String, rootfsPath: String, cgroupsPath: String, imageName: String = "",
                volumesDirectory: String, targetPIDNamespacePath: String? = nil, defaultRlimits: [Rlimit] = []) {
        self.containerID = containerID
        self.rootfsPath = rootfsPath
        self.cgroupsPath = cgroupsPath
        self.imageName = imageName
        self.volumesDirectory = volumesDirectory
        self.targetPIDNamespacePath = targetPIDNamespacePath
        self.defaultRlimits = defaultRlimits
    }
}
