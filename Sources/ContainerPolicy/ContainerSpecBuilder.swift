import BerthBase
import CRI
import OCIImage
import RuntimeSpec

/// What `ContainerSpecBuilder` decides: the spec plus what the daemon still has to do.
public struct ContainerSpecOutput: Sendable, Equatable {
    /// The runtime spec; `linux.seccomp` is left for the daemon to fill from `seccomp`.
    public var spec: Spec
    public var seccomp: SeccompChoice
    /// CRI mounts backed by an image: their spec mounts have an empty source to fill.
    public var imageMounts: [ImageMountRequest]
    /// Directories to create for the image's `Volumes` (already bound in `spec.mounts`).
    public var imageVolumes: [ImageVolume]
    /// The signal that stops the container (`SIGTERM`, …): the request's, else the image's.
    public var stopSignal: String
}

/// Builds a container's complete OCI runtime spec from a CRI CreateContainer request, the
/// pod's config, the image's config and user database, and host facts — containerd's
/// `buildContainerSpec`, without touching the host.
public struct ContainerSpecBuilder: Sendable {
    public var config: Runtime_V1_ContainerConfig
    public var sandboxConfig: Runtime_V1_PodSandboxConfig
    public var image: ImageConfig
    public var etcPasswd: String?
    public var etcGroup: String?
    public var sandbox: SandboxContext
    public var container: ContainerContext

    public init(config: Runtime_V1_ContainerConfig, sandboxConfig: Runtime_V1_PodSandboxConfig, image: ImageConfig,
                etcPasswd: String?, etcGroup: String?, sandbox: SandboxContext, container: ContainerContext) {
        self.config = config
        self.sandboxConfig = sandboxConfig
        self.image = image
        self.etcPasswd = etcPasswd
        self.etcGroup = etcGroup
        self.sandbox = sandbox
        self.container = container
    }

    public func build() throws(BerthError) -> ContainerSpecOutput {
        guard config.hasMetadata, !config.metadata.name.isEmpty else {
            throw BerthError(.invalidArgument, "metadata.name: a container needs a name")
        }
        try SandboxPolicy.checkName(config.metadata.name, field: "metadata.name")
        let security = config.linux.securityContext
        let privileged = security.privileged
        if privileged && !sandboxConfig.linux.securityContext.privileged {
            throw BerthError(.invalidArgument,
                             "linux.security_context.privileged: a privileged container needs a privileged pod sandbox")
        }
        let namespaceOptions = security.namespaceOptions
        let hostIPC = namespaceOptions.ipc == .node
        let execution = image.config ?? ImageConfig.ExecutionConfig()

        var spec = Spec()

        // Process.
        var process = Process()
        process.args = try ProcessPolicy.args(command: config.command, args: config.args,
                                              entrypoint: execution.entrypoint, cmd: execution.cmd)
        let hostname = SandboxPolicy.hostname(sandboxConfig, nodeHostname: sandbox.nodeHostname)
        process.env = ProcessPolicy.env(image: execution.env,
                                        request: config.envs.map { ($0.key, $0.value) },
                                        hostname: hostname)
        process.cwd = try ProcessPolicy.workingDirectory(request: config.workingDir, image: execution.workingDir)
        if config.tty { process.terminal = true }

        let requestedUser = try UserPolicy.requestedUser(username: security.runAsUsername,
                                                         uid: security.hasRunAsUser ? security.runAsUser.value : nil,
                                                         gid: security.hasRunAsGroup ? security.runAsGroup.value : nil)
        let userField: String
        if !security.runAsUsername.isEmpty { userField = "linux.security_context.run_as_username" }
        else if security.hasRunAsUser { userField = "linux.security_context.run_as_user" }
        else { userField = "image config User" }
        let strict: Bool
        switch security.supplementalGroupsPolicy {
        case .merge: strict = false
        case .strict: strict = true
        case .UNRECOGNIZED(let value):
            throw BerthError(.invalidArgument, "linux.security_context.supplemental_groups_policy: unknown policy \(value)")
        }
        process.user = try UserPolicy.resolve(requestedUser.isEmpty ? (execution.user ?? "") : requestedUser,
                                              field: userField,
                                              passwd: UserDatabase.passwd(etcPasswd), groups: UserDatabase.group(etcGroup),
                                              supplementalGroups: security.supplementalGroups, strict: strict)

        let capabilities = security.capabilities
        process.capabilities = try CapabilityPolicy.capabilities(
            add: capabilities.addCapabilities, drop: capabilities.dropCapabilities,
            ambient: capabilities.addAmbientCapabilities, privileged: privileged, uid: process.user.uid)
        if !container.defaultRlimits.isEmpty { process.rlimits = container.defaultRlimits }
        let resources = config.linux.resources
        process.oomScoreAdj = Int(resources.oomScoreAdj)
        if security.noNewPrivs { process.noNewPrivileges = true }
        spec.process = process

        // Root and hostname.
        spec.root = Root(path: container.rootfsPath, readonly: security.readonlyRootfs ? true : nil)
        spec.hostname = hostname

        // Mounts.
        let sorted = config.mounts.enumerated().sorted { a, b in
            let da = MountPolicy.depth(MountPolicy.clean(a.element.containerPath))
            let db = MountPolicy.depth(MountPolicy.clean(b.element.containerPath))
            return da != db ? da < db : a.offset < b.offset
        }
        var mounts = MountPolicy.defaults(privileged: privileged)
        mounts += MountPolicy.podMounts(sandbox: sandbox, readonlyRootfs: security.readonlyRootfs, hostIPC: hostIPC,
                                        criMounts: config.mounts)
        let cri = try MountPolicy.criMounts(config.mounts, indexBase: 0)
        // Re-order the CRI mounts and image volumes together, parents first.
        let volumes = MountPolicy.imageVolumes(execution.volumes.map { Array($0.keys) }, criMounts: config.mounts,
                                               volumesDirectory: container.volumesDirectory)
        var extra: [(mount: Mount, image: ImageMountRequest?)] = sorted.map { item in
            (cri.mounts[item.offset], cri.imageMounts.first { $0.mountIndex == item.offset })
        }
        extra += volumes.map { (Mount(destination: $0.destination, type: "bind", source: $0.hostPath,
                                      options: ["rbind", "rprivate", "rw"]), nil) }
        let orderedExtra = extra.enumerated().sorted { a, b in
            let da = MountPolicy.depth(a.element.mount.destination), db = MountPolicy.depth(b.element.mount.destination)
            return da != db ? da < db : a.offset < b.offset
        }.map(\.element)
        // A CRI mount or volume at a default destination replaces the default; one at /dev
        // replaces every default below /dev.
        let extraDestinations = Set(orderedExtra.map(\.mount.destination))
        mounts.removeAll { mount in
            extraDestinations.contains(mount.destination)
                || (extraDestinations.contains("/dev") && mount.destination.hasPrefix("/dev/"))
        }
        var imageMounts: [ImageMountRequest] = []
        for item in orderedExtra {
            if var request = item.image {
                request.mountIndex = mounts.count
                imageMounts.append(request)
            }
            mounts.append(item.mount)
        }
        spec.mounts = mounts

        // Linux.
        var linux = Linux()
        let userMappings = try UserMappings.container(namespaceOptions, pod: sandboxConfig.linux.securityContext.namespaceOptions)
        if let userMappings { try userMappings.checkCovers(spec.process?.user) }
        linux.namespaces = try NamespacePolicy.container(options: namespaceOptions, privileged: privileged, sandbox: sandbox,
                                                         targetPIDNamespacePath: container.targetPIDNamespacePath,
                                                         userMappings: userMappings)
        if let userMappings {
            linux.uidMappings = userMappings.uids
            linux.gidMappings = userMappings.gids
        }
        linux.rootfsPropagation = MountPolicy.rootfsPropagation(config.mounts)
        if privileged {
            linux.maskedPaths = []
            linux.readonlyPaths = []
        } else {
            linux.maskedPaths = security.maskedPaths.isEmpty ? SecurityDefaults.maskedPaths : security.maskedPaths
            linux.readonlyPaths = security.readonlyPaths.isEmpty ? SecurityDefaults.readonlyPaths : security.readonlyPaths
        }
        let devices = try DevicePolicy.devices(requested: config.devices, privileged: privileged,
                                               hostDevices: sandbox.hostDevices)
        linux.devices = devices.devices
        let sysctls = sandboxConfig.linux.sysctls
        if !sysctls.isEmpty { linux.sysctl = sysctls }
        var specResources = try ResourcePolicy.resources(resources, controllers: sandbox.cgroupControllers,
                                                         swapAvailable: sandbox.swapAvailable,
                                                         field: "linux.resources")
        specResources.devices = devices.rules
        linux.resources = specResources
        linux.cgroupsPath = container.cgroupsPath
        spec.linux = linux

        let seccomp = try SeccompChoice.choose(profile: security.hasSeccomp ? security.seccomp : nil,
                                               profilePath: security.seccompProfilePath, privileged: privileged)

        // Annotations: the request's, then containerd's own.
        var annotations = config.annotations
        annotations["io.kubernetes.cri.container-type"] = "container"
        annotations["io.kubernetes.cri.container-name"] = config.metadata.name
        annotations["io.kubernetes.cri.sandbox-id"] = sandbox.sandboxID
        annotations["io.kubernetes.cri.sandbox-name"] = sandboxConfig.metadata.name
        annotations["io.kubernetes.cri.sandbox-namespace"] = sandboxConfig.metadata.namespace
        annotations["io.kubernetes.cri.sandbox-uid"] = sandboxConfig.metadata.uid
        annotations["io.kubernetes.cri.image-name"] = container.imageName.isEmpty ? config.image.image : container.imageName
        spec.annotations = annotations

        return ContainerSpecOutput(spec: spec, seccomp: seccomp, imageMounts: imageMounts, imageVolumes: volumes,
                                   stopSignal: StopSignal.name(request: config.stopSignal, image: execution.stopSignal))
    }
}

/// containerd's masked and read-only paths.
public enum SecurityDefaults {
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
}

/// The stop signal's name.
public enum StopSignal {
    /// The request's signal unless RUNTIME_DEFAULT, else the image's `StopSignal` (a name
    /// with or without `SIG`, or a number), else `SIGTERM`.
    public static func name(request: Runtime_V1_Signal, image: String?) -> String {
        switch request {
        case .runtimeDefault, .UNRECOGNIZED:
            break
        default:
            var name = String(describing: request).uppercased()
            if let range = name.range(of: "PLUS") { name.replaceSubrange(range, with: "+") }
            if let range = name.range(of: "MINUS") { name.replaceSubrange(range, with: "-") }
            return name
        }
        guard let image, !image.isEmpty else { return "SIGTERM" }
        let upper = image.uppercased()
        if Int(upper) != nil || upper.hasPrefix("SIG") { return upper }
        return "SIG" + upper
    }
}
