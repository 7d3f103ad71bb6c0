import BerthBase
import Glibc
import CRI
import ContainerPolicy
import NativeRuntime
import Network
import RuntimeSpec
import RuntimeState
import ShimPlan

extension RuntimeService {
    /// CRI `RunPodSandbox`: the pod's files, cgroup and `/dev/shm`, then the infra process
    /// that holds its namespaces, then (unless it uses the host's network) its CNI attachment
    /// and the `/etc/hosts` line for its address. Anything half-made is undone when a step fails.
    public func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest) async throws(BerthError) -> Runtime_V1_RunPodSandboxResponse {
        let config = request.config
        try checkRuntimeHandler(request.runtimeHandler)
        let id = Identifiers.make()
        var placed = config
        if placed.linux.cgroupParent.isEmpty { placed.linux.cgroupParent = cgroupRoot }
        let decision: SandboxDecision = try SandboxPolicy.decide(
            placed, sandboxID: id, nodeHostname: nodeHostname(), hostResolvConf: hostFile("/etc/resolv.conf"),
            hostHosts: hostFile("/etc/hosts"))
        // A broken network configuration or a missing plugin fails before anything is made;
        // no configuration at all leaves the pod with loopback only (NetworkReady is false).
        let ready: CNI.Ready?
        do {
            ready = Self.usesPodNetwork(config) ? try network.forPod() : nil
        } catch {
            throw BerthError(error.code, "run pod sandbox \(config.metadata.name): \(error.message)")
        }
        let files = PodFiles(directory: paths.podDirectory(id))
        var record = SandboxRecord(
            id: id, config: config, createdAt: nowNanos(), runtimeHandler: request.runtimeHandler,
            cgroupPath: decision.cgroupPath, directory: files.directory, hostname: decision.hostname)
        try await store.add(record)
        var log = logger
        log[metadataKey: "sandbox"] = "\(id)"

        do {
            try files.write(hosts: decision.hostsFile, resolvConf: decision.resolvConf, hostname: decision.hostnameFile)
            if let shm = decision.shm {
                try files.mountShm(data: shm.data, flags: shm.flags)
                record.shmMounted = true
                try await store.updateSandbox(id) { $0.shmMounted = true }
            }
            let infraCgroup = try createCgroup("\(decision.cgroupPath)/infra")
            var plan = ShimPlan(mode: .infra)
            plan.namespaces = try decision.namespaces.map(Self.shimNamespace)
            // A pod user namespace: made first by the infra, with these maps, so that it owns
            // the pod's other namespaces; the pod's containers join it.
            plan.uidMappings = ShimPlan.idMaps(decision.uidMappings)
            plan.gidMappings = ShimPlan.idMaps(decision.gidMappings)
            plan.cgroup = infraCgroup
            let ownsUTS = plan.namespaces.contains { $0.kind == .uts && $0.path == nil }
            plan.hostname = ownsUTS ? decision.hostname : nil
            plan.sysctls = decision.sysctls
            plan.oomScoreAdj = decision.oomScoreAdj
            plan.stateFile = "\(files.directory)/infra.state"
            let report = try await launcher.start(plan, planFile: "\(files.directory)/infra.plan")
            guard let pid = report.pids.first, let infra = ProcessIdentity.of(pid: pid) else {
                throw BerthError(.internal, "pod infra process \(report.pids) exited right after it started")
            }
            try await store.updateSandbox(id) { $0.infra = infra }
            var ips: [String] = []
            if let ready {
                ips = try await attachNetwork(record, infraPid: infra.pid, ready: ready)
                try FileSystem.atomicWrite(Array(SandboxPolicy.hosts(hostname: decision.hostname, ip: ips.first).utf8), to: files.hosts)
            }
            try await store.updateSandbox(id) {
                $0.ips = ready == nil ? nil : ips
                $0.phase = .ready
            }
            log.info("pod sandbox ready", metadata: [
                "name": "\(config.metadata.name)", "infra": "\(infra.pid)", "ips": "\(ips.joined(separator: ","))",
            ])
        } catch {
            log.warning("pod sandbox failed; undoing", metadata: ["error": "\(error)"])
            await teardownSandbox(id)
            throw BerthError.wrapping(error, context: "run pod sandbox \(config.metadata.name)")
        }
        var response = Runtime_V1_RunPodSandboxResponse()
        response.podSandboxID = id
        return response
    }

    static func shimNamespace(_ namespace: RuntimeSpec.Namespace) throws(BerthError) -> ShimPlan.Namespace {
        let kinds: [String: ShimPlan.NamespaceKind] = [
            "pid": .pid, "network": .net, "mount": .mnt, "ipc": .ipc, "uts": .uts, "user": .user, "cgroup": .cgroup,
        ]
        guard let kind = kinds[namespace.type] else {
            throw BerthError(.invalidArgument, "namespace type \"\(namespace.type)\" is not supported")
        }
        return ShimPlan.Namespace(kind, path: namespace.path)
    }

    func checkRuntimeHandler(_ handler: String) throws(BerthError) {
        guard handler.isEmpty || handler == "native" || handler == "runc" else {
            throw BerthError(.invalidArgument, "runtime handler \"\(handler)\" is not configured (known: native)")
        }
    }

    func hostFile(_ path: String) -> String {
        (try? FileSystem.read(path)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    func nodeHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
