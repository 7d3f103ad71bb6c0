import BerthBase
import CRI
import ContainerPolicy
import NativeRuntime
import RuntimeSpec
import RuntimeState
import Seccomp

/// The host-side facts container policy needs, and the host work its decisions ask for.
extension RuntimeService {
    /// Where the pod's files and namespaces are: a namespace is the pod's when its infra
    /// process holds one other than berthd's own.
    func sandboxContext(_ sandbox: SandboxRecord, infra: ProcessIdentity, privileged: Bool) -> SandboxContext {
        let files = PodFiles(directory: sandbox.directory)
        func podNamespace(_ kind: String) -> String? {
            let path = "/proc/\(infra.pid)/ns/\(kind)"
            return Namespaces.differ(path, "/proc/self/ns/\(kind)") ? path : nil
        }
        return SandboxContext(
            sandboxID: sandbox.id, hostnamePath: files.hostname, hostsPath: files.hosts, resolvConfPath: files.resolvConf,
            shmPath: sandbox.shmMounted ? files.shm : nil, networkNamespacePath: podNamespace("net"),
            ipcNamespacePath: podNamespace("ipc"), utsNamespacePath: podNamespace("uts"), pidNamespacePath: podNamespace("pid"),
            userNamespacePath: podNamespace("user"), nodeHostname: nodeHostname(),
            hostDevices: privileged ? HostDevices.list() : [], cgroupControllers: Set(cgroup?.controllers ?? []),
            swapAvailable: swapAvailable)
    }

    /// Keeps only the capabilities berthd itself may hand out: a privileged container (or one
    /// adding ALL) gets every capability of berthd's bounding set, not ones the host withholds,
    /// as containerd gives "all" as the capabilities it holds.
    static func clampCapabilities(_ spec: inout Spec, to bounding: UInt64?) {
        guard let bounding, var caps = spec.process?.capabilities else { return }
        func keep(_ names: [String]?) -> [String]? {
            names?.filter { name in
                guard let number = CapabilityPolicy.number(of: name), number < 64 else { return false }
                return bounding & (1 << UInt64(number)) != 0
            }
        }
        caps.bounding = keep(caps.bounding)
        caps.effective = keep(caps.effective)
        caps.permitted = keep(caps.permitted)
        caps.inheritable = keep(caps.inheritable)
        caps.ambient = keep(caps.ambient)
        spec.process?.capabilities = caps
    }

    /// For pid mode TARGET: the target container's pid namespace.
    func targetPIDNamespace(_ options: Runtime_V1_NamespaceOption) async throws(BerthError) -> String? {
        guard options.pid == .target, !options.targetID.isEmpty else { return nil }
        let target = try await store.findContainer(options.targetID)
        guard target.phase == .running, let process = target.initProcess, process.isAlive else { return nil }
        return "/proc/\(process.pid)/ns/pid"
    }

    /// Compiles the chosen seccomp profile into the spec and returns its BPF filter.
    func compileSeccomp(_ spec: inout Spec, choice: SeccompChoice) throws(BerthError) -> [UInt8]? {
        let capabilities = Set(spec.process?.capabilities?.bounding ?? [])
        let capabilityKey = capabilities.sorted().joined(separator: ",")
        let entry: SeccompFilterCache.Entry
        switch choice {
        case .unconfined:
            spec.linux?.seccomp = nil
            return nil
        case .runtimeDefault:
            entry = try seccompFilters.entry("runtime/default|\(capabilityKey)") { () throws(BerthError) in
                SeccompProfiles.runtimeDefault(capabilities: capabilities)
            }
        case .localhost(let path):
            guard let bytes = try FileSystem.read(path) else {
                throw BerthError(.notFound, "seccomp profile \(path): no such file")
            }
            entry = try seccompFilters.entry("localhost|\(SHA256Hasher.digest(bytes))|\(capabilityKey)") { () throws(BerthError) in
                try SeccompProfiles.parse(json: bytes, source: path, capabilities: capabilities)
            }
        }
        if spec.linux == nil { spec.linux = Linux() }
        spec.linux?.seccomp = entry.profile
        return entry.filter
    }

    /// Mounts each image a CRI mount asks for, read-only, under the container's directory, and
    /// points the spec's mount at it (or at its sub-path).
    func mountImages(_ requests: [ImageMountRequest], into spec: inout Spec, directory: String) async throws(BerthError) {
        for (number, request) in requests.enumerated() {
            guard let image = await images.image(request.image) else {
                throw BerthError(.notFound, "mounts[\(request.mountIndex)].image: image \"\(request.image)\" not found; pull it first")
            }
            let target = "\(directory)/image-mounts/\(number)"
            let snapshot = try images.readOnlySnapshot(of: image)
            guard snapshot.workingDirectory == nil, let mount = snapshot.mounts.first else {
                throw BerthError(.invalidArgument, "mounts[\(request.mountIndex)].image: image \(request.image) has too many layers to mount as a volume")
            }
            try ImageMounts.mount(OverlaySnapshotMount(type: mount.type, source: mount.source, options: mount.optionString), at: target)
            var source = target
            if !request.subPath.isEmpty {
                let parts = request.subPath.split(separator: "/")
                guard !request.subPath.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
                    throw BerthError(.invalidArgument, "mounts[\(request.mountIndex)].image_sub_path: \"\(request.subPath)\" must stay inside the image")
                }
                source = "\(target)/\(parts.joined(separator: "/"))"
                guard FileSystem.exists(source) else {
                    throw BerthError(.notFound, "mounts[\(request.mountIndex)].image_sub_path: \"\(request.subPath)\" is not in image \(request.image)")
                }
            }
            guard var mounts = spec.mounts, request.mountIndex < mounts.count else {
                throw BerthError(.internal, "image mount \(request.mountIndex) has no spec mount")
            }
            mounts[request.mountIndex].source = source
            spec.mounts = mounts
        }
    }
}
