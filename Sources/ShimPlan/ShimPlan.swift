/// What `berth-shim` is asked to do, decided entirely in Swift. The shim only carries it
/// out: every path, flag and mask is computed here, so the C side makes no decisions.
/// The wire form is described in `Shims/berth-shim/README.md`.
public struct ShimPlan: Sendable, Equatable {
    /// What the shim is started as.
    public enum Mode: String, Sendable {
        /// Holds a pod's namespaces as PID 1 of its PID namespace, reaping zombies.
        case infra
        /// Creates a container, execs its process and stays as its monitor.
        case run
        /// Runs one more process inside a running container and exits with its status.
        case exec
    }

    public enum NamespaceKind: String, Sendable, CaseIterable {
        case mnt, uts, ipc, net, pid, cgroup, user
    }

    /// A namespace the process gets: a new one (`path == nil`) or the one at `path`.
    /// Kinds not listed stay the host's.
    public struct Namespace: Sendable, Equatable {
        public var kind: NamespaceKind
        public var path: String?
        public init(_ kind: NamespaceKind, path: String? = nil) {
            self.kind = kind
            self.path = path
        }
    }

    /// The container's root directory on the host, mounted inside the container's own mount
    /// namespace: an overlay when `overlayData` is set (mounted with `directory` as working
    /// directory so relative lower dirs resolve), otherwise a bind of `path` onto itself.
    public struct Root: Sendable, Equatable {
        public var path: String
        public var overlayData: String?
        public var directory: String?
        /// MS_* propagation flags applied recursively to `/` right after the mount namespace
        /// is made (MS_REC|MS_SLAVE by default).
        public var propagation: UInt
        public var readOnly: Bool
        public init(path: String, overlayData: String? = nil, directory: String? = nil, propagation: UInt, readOnly: Bool = false) {
            self.path = path
            self.overlayData = overlayData
            self.directory = directory
            self.propagation = propagation
            self.readOnly = readOnly
        }
    }

    public enum TargetKind: String, Sendable { case directory = "dir", file }

    /// One mount inside the container root, performed in order.
    public struct Mount: Sendable, Equatable {
        public var source: String
        /// Absolute path inside the container.
        public var destination: String
        public var type: String
        /// MS_* flags for mount(2).
        public var flags: UInt
        public var data: String
        /// MS_* propagation flags applied after the mount (0: none).
        public var propagation: UInt
        /// MS_* flags for a follow-up bind remount (read-only binds); 0: none.
        public var remountFlags: UInt
        /// Whether the destination is created as a directory or a file.
        public var targetKind: TargetKind
        /// Make the mount and every mount below it read-only (mount_setattr AT_RECURSIVE).
        public var recursiveReadOnly: Bool
        public init(source: String, destination: String, type: String, flags: UInt, data: String = "",
                    propagation: UInt = 0, remountFlags: UInt = 0, targetKind: TargetKind = .directory,
                    recursiveReadOnly: Bool = false) {
            self.source = source
            self.destination = destination
            self.type = type
            self.flags = flags
            self.data = data
            self.propagation = propagation
            self.remountFlags = remountFlags
            self.targetKind = targetKind
            self.recursiveReadOnly = recursiveReadOnly
        }
    }

    /// A device node created inside the container's `/dev`.
    public struct Device: Sendable, Equatable {
        public enum Kind: String, Sendable { case char = "c", block = "b", fifo = "p" }
        public var path: String
        public var kind: Kind
        public var major: Int64
        public var minor: Int64
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public init(path: String, kind: Kind, major: Int64, minor: Int64, mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0) {
            self.path = path
            self.kind = kind
            self.major = major
            self.minor = minor
            self.mode = mode
            self.uid = uid
            self.gid = gid
        }
    }

    public struct Symlink: Sendable, Equatable {
        public var target: String
        public var path: String
        public init(target: String, path: String) {
            self.target = target
            self.path = path
        }
    }

    public struct User: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]
        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32] = []) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
        }
    }

    /// Capability sets as bit masks (bit n = capability number n).
    public struct Capabilities: Sendable, Equatable {
        public var bounding: UInt64
        public var effective: UInt64
        public var permitted: UInt64
        public var inheritable: UInt64
        public var ambient: UInt64
        public init(bounding: UInt64, effective: UInt64, permitted: UInt64, inheritable: UInt64, ambient: UInt64) {
            self.bounding = bounding
            self.effective = effective
            self.permitted = permitted
            self.inheritable = inheritable
            self.ambient = ambient
        }
    }

    public struct Rlimit: Sendable, Equatable {
        /// RLIMIT_* number.
        public var resource: Int32
        public var soft: UInt64
        public var hard: UInt64
        public init(resource: Int32, soft: UInt64, hard: UInt64) {
            self.resource = resource
            self.soft = soft
            self.hard = hard
        }
    }

    /// One range of a user namespace's id map: `size` ids from `containerID` inside the
    /// namespace are `hostID`… outside it.
    public struct IDMap: Sendable, Equatable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32
        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
    }

    public struct Sysctl: Sendable, Equatable {
        /// Path below `/proc/sys` (`kernel/shm_rmid_forced`).
        public var path: String
        public var value: String
        public init(path: String, value: String) {
            self.path = path
            self.value = value
        }
    }

    public var mode: Mode
    public var namespaces: [Namespace] = []
    /// The uid and gid maps of a new user namespace (infra mode), written before the
    /// other new namespaces are made so they belong to it.
    public var uidMappings: [IDMap] = []
    public var gidMappings: [IDMap] = []
    /// The cgroup directory (host path) the process joins.
    public var cgroup: String?
    public var root: Root?
    public var mounts: [Mount] = []
    public var devices: [Device] = []
    public var symlinks: [Symlink] = []
    public var maskedPaths: [String] = []
    public var readonlyPaths: [String] = []
    public var hostname: String?
    public var sysctls: [Sysctl] = []
    public var rlimits: [Rlimit] = []
    public var oomScoreAdj: Int32?
    public var user: User?
    public var capabilities: Capabilities?
    public var noNewPrivileges = false
    /// A compiled seccomp filter: an array of `struct sock_filter`.
    public var seccompFilter: [UInt8]?
    public var cwd: String = "/"
    public var args: [String] = []
    public var env: [String] = []
    public var tty = false
    public var stdin = false
    /// Close the container's stdin once the first attached client that carried it is done.
    public var stdinOnce = false
    /// The monitor's attach socket (run mode), through which berthd attaches to the container.
    public var attachSocket: String?
    /// The CRI log file the monitor writes (run mode).
    public var logPath: String?
    /// Where the monitor records the exit status (run mode).
    public var exitFile: String?
    /// Where the shim records the pids it started, before it reports success.
    public var stateFile: String?
    /// The container cgroup's `memory.events`, read to tell an OOM kill.
    public var memoryEvents: String?

    public init(mode: Mode) {
        self.mode = mode
    }
}
