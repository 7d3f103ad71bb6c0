import BerthBase
import RuntimeSpec
import ShimPlan

/// What the daemon adds to a spec to make a shim plan: how the root is mounted, where the
/// cgroup and the monitor's files are, and the compiled seccomp filter.
public struct PlanInputs: Sendable, Equatable {
    public var mode: ShimPlan.Mode
    /// The rootfs overlay's mount data (`lowerdir=…,upperdir=…,workdir=…`) and the directory
    /// it is mounted from; nil: bind `spec.root.path` onto itself.
    public var rootOverlayData: String?
    public var rootDirectory: String?
    /// The cgroup2 mount on the host; the plan's cgroup is `<cgroupRoot>/<spec cgroupsPath>`.
    public var cgroupRoot: String
    public var logPath: String?
    public var exitFile: String?
    public var stateFile: String?
    public var seccompFilter: [UInt8]?
    public var stdin: Bool

    public init(mode: ShimPlan.Mode = .run, rootOverlayData: String? = nil, rootDirectory: String? = nil,
                cgroupRoot: String = "/sys/fs/cgroup", logPath: String? = nil, exitFile: String? = nil,
                stateFile: String? = nil, seccompFilter: [UInt8]? = nil, stdin: Bool = false) {
        self.mode = mode
        self.rootOverlayData = rootOverlayData
        self.rootDirectory = rootDirectory
        self.cgroupRoot = cgroupRoot
        self.logPath = logPath
        self.exitFile = exitFile
        self.stateFile = stateFile
        self.seccompFilter = seccompFilter
        self.stdin = stdin
    }
}

/// RLIMIT_* numbers by name.
public enum RlimitNumbers {
    public static let byName: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]
}

extension ShimPlan {
    /// The `/dev` links every container with its own `/dev` gets.
    public static let standardSymlinks: [Symlink] = [
        Symlink(target: "/proc/self/fd", path: "/dev/fd"),
        Symlink(target: "/proc/self/fd/0", path: "/dev/stdin"),
        Symlink(target: "/proc/self/fd/1", path: "/dev/stdout"),
        Symlink(target: "/proc/self/fd/2", path: "/dev/stderr"),
        Symlink(target: "pts/ptmx", path: "/dev/ptmx"),
    ]

    /// Turns a runtime spec into what the shim executes. `isFile` tells whether a bind
    /// source on the host is a file (so the destination is made as a file).
    public init(spec: Spec, inputs: PlanInputs, isFile: (String) -> Bool) throws(BerthError) {
        self.init(mode: inputs.mode)
        let linux = spec.linux ?? Linux()

        namespaces = try (linux.namespaces ?? []).map { namespace throws(BerthError) in
            ShimPlan.Namespace(try Self.kind(namespace.type), path: namespace.path)
        }
        if let path = linux.cgroupsPath, !path.isEmpty {
            let relative = path.hasPrefix("/") ? String(path.dropFirst()) : path
            cgroup = inputs.cgroupRoot + "/" + relative
            if inputs.mode == .run { memoryEvents = cgroup! + "/memory.events" }
        }
        if let root = spec.root {
            self.root = Root(path: root.path, overlayData: inputs.rootOverlayData, directory: inputs.rootDirectory,
                             propagation: try MountFlags.rootPropagation(linux.rootfsPropagation),
                             readOnly: root.readonly ?? false)
        }
        mounts = try (spec.mounts ?? []).map { mount throws(BerthError) in try Self.mount(mount, isFile: isFile) }
        devices = try (linux.devices ?? []).map { device throws(BerthError) in try Self.device(device) }
        if (spec.mounts ?? []).contains(where: { $0.destination == "/dev" && $0.type == "tmpfs" }) {
            symlinks = Self.standardSymlinks
        }
        maskedPaths = linux.maskedPaths ?? []
        readonlyPaths = linux.readonlyPaths ?? []
        // Only a new UTS namespace gets a hostname: a joined or the host's one is not ours to set.
        if let name = spec.hostname, (linux.namespaces ?? []).contains(where: { $0.type == "uts" && $0.path == nil }) {
            hostname = name
        }
        sysctls = (linux.sysctl ?? [:]).sorted { $0.key < $1.key }.map {
            ShimPlan.Sysctl(path: SandboxPolicy.sysctlPath($0.key), value: $0.value)
        }

        if let process = spec.process {
            rlimits = try (process.rlimits ?? []).map { limit throws(BerthError) in
                guard let number = RlimitNumbers.byName[limit.type] else {
                    throw BerthError(.invalidArgument, "process.rlimits: unknown rlimit \"\(limit.type)\"")
                }
                return ShimPlan.Rlimit(resource: number, soft: limit.soft, hard: limit.hard)
            }
            if let score = process.oomScoreAdj {
                guard (-1000...1000).contains(score) else {
                    throw BerthError(.invalidArgument, "process.oomScoreAdj: \(score) is outside -1000…1000")
                }
                oomScoreAdj = Int32(score)
            }
            user = User(uid: process.user.uid, gid: process.user.gid, additionalGids: process.user.additionalGids ?? [])
            if let caps = process.capabilities {
                capabilities = Capabilities(bounding: try CapabilityPolicy.mask(caps.bounding),
                                            effective: try CapabilityPolicy.mask(caps.effective),
                                            permitted: try CapabilityPolicy.mask(caps.permitted),
                                            inheritable: try CapabilityPolicy.mask(caps.inheritable),
                                            ambient: try CapabilityPolicy.mask(caps.ambient))
            }
            noNewPrivileges = process.noNewPrivileges ?? false
            cwd = process.cwd
            args = process.args ?? []
            env = process.env ?? []
            tty = process.terminal ?? false
        }
        seccompFilter = inputs.seccompFilter
        stdin = inputs.stdin
        logPath = inputs.logPath
        exitFile = inputs.exitFile
        stateFile = inputs.stateFile
    }

    static func kind(_ type: String) throws(BerthError) -> NamespaceKind {
        switch type {
        case "pid": .pid
        case "network": .net
        case "mount": .mnt
        case "ipc": .ipc
        case "uts": .uts
        case "user": .user
        case "cgroup": .cgroup
        default: throw BerthError(.invalidArgument, "linux.namespaces: namespace type \"\(type)\" is not supported")
        }
    }

    /// One spec mount. A bind mounts with MS_BIND (and MS_REC for `rbind`) only; any
    /// restricting flag (`ro`, `nosuid`, …) goes into a follow-up
    /// MS_BIND|MS_REMOUNT remount, as the kernel ignores them on the bind itself.
    public static func mount(_ mount: RuntimeSpec.Mount, isFile: (String) -> Bool) throws(BerthError) -> Mount {
        guard mount.destination.hasPrefix("/") else {
            throw BerthError(.invalidArgument, "mounts: destination \"\(mount.destination)\" is not absolute")
        }
        var parsed = MountFlags.parse(mount.options ?? [])
        let type = mount.type ?? ""
        if type == "bind" && parsed.flags & MountFlags.bind == 0 { parsed.flags |= MountFlags.bind }
        let source = mount.source ?? ""
        if parsed.flags & MountFlags.bind != 0 {
            let bindFlags = parsed.flags & (MountFlags.bind | MountFlags.rec)
            let rest = parsed.flags & ~(MountFlags.bind | MountFlags.rec | MountFlags.remount)
            return Mount(source: source, destination: mount.destination, type: "bind", flags: bindFlags,
                         data: parsed.data, propagation: parsed.propagation,
                         remountFlags: rest == 0 ? 0 : MountFlags.bind | MountFlags.remount | rest,
                         targetKind: isFile(source) ? .file : .directory,
                         recursiveReadOnly: parsed.recursiveReadOnly)
        }
        return Mount(source: source.isEmpty ? type : source, destination: mount.destination, type: type,
                     flags: parsed.flags, data: parsed.data, propagation: parsed.propagation,
                     targetKind: .directory, recursiveReadOnly: parsed.recursiveReadOnly)
    }

    static func device(_ device: RuntimeSpec.Device) throws(BerthError) -> Device {
        let kind: Device.Kind
        switch device.type {
        case "c", "u": kind = .char
        case "b": kind = .block
        case "p": kind = .fifo
        default: throw BerthError(.invalidArgument, "linux.devices: \(device.path) has unknown type \"\(device.type)\"")
        }
        guard device.path.hasPrefix("/") else {
            throw BerthError(.invalidArgument, "linux.devices: \(device.path) is not an absolute path")
        }
        return Device(path: device.path, kind: kind, major: device.major ?? 0, minor: device.minor ?? 0,
                      mode: device.fileMode ?? 0o666, uid: device.uid ?? 0, gid: device.gid ?? 0)
    }
}

extension ShimPlan {
    /// The pod infra's plan: its new namespaces, the id maps of its new user namespace,
    /// cgroup, hostname (in a new UTS namespace), sysctls and OOM score.
    public init(sandbox decision: SandboxDecision, cgroupRoot: String = "/sys/fs/cgroup", stateFile: String? = nil) throws(BerthError) {
        self.init(mode: .infra)
        namespaces = try decision.namespaces.map { namespace throws(BerthError) in
            ShimPlan.Namespace(try Self.kind(namespace.type), path: namespace.path)
        }
        uidMappings = Self.idMaps(decision.uidMappings)
        gidMappings = Self.idMaps(decision.gidMappings)
        cgroup = cgroupRoot + "/" + decision.cgroupPath
        if decision.namespaces.contains(where: { $0.type == "uts" && $0.path == nil }) {
            hostname = decision.hostname
        }
        sysctls = decision.sysctls
        oomScoreAdj = decision.oomScoreAdj
        self.stateFile = stateFile
    }
}

extension ShimPlan {
    /// Runtime-spec id mappings as shim id maps.
    public static func idMaps(_ mappings: [IDMapping]?) -> [IDMap] {
        (mappings ?? []).map { IDMap(containerID: $0.containerID, hostID: $0.hostID, size: $0.size) }
    }
}
