import BerthBase
import CRI
import RuntimeSpec
import ShimPlan

/// What RunPodSandbox decides about a pod before anything is made on the host.
public struct SandboxDecision: Sendable, Equatable {
    /// The infra process's namespaces (all new; kinds not listed stay the host's).
    public var namespaces: [Namespace]
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    /// The pod's hostname (the infra sets it in a new UTS namespace).
    public var hostname: String
    /// Contents of the pod's `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`.
    public var hostnameFile: String
    public var hostsFile: String
    public var resolvConf: String
    /// The pod's `/dev/shm`: a tmpfs (`data`, mount flags) to make, or nil to use the host's.
    public var shm: ShmMount?
    /// The pod's sysctls as `/proc/sys` paths, set by the infra inside the pod's namespaces.
    public var sysctls: [ShimPlan.Sysctl]
    /// The pod's cgroup, relative to the cgroup2 mount.
    public var cgroupPath: String
    /// The infra process's OOM score adjustment (the pause container's).
    public var oomScoreAdj: Int32
    public var privileged: Bool
    public var annotations: [String: String]
}

public struct ShmMount: Sendable, Equatable {
    public var data: String
    /// MS_NOEXEC | MS_NOSUID | MS_NODEV.
    public var flags: UInt

    public init(data: String, flags: UInt) {
        self.data = data
        self.flags = flags
    }
}

/// RunPodSandbox policy: validation, the infra's namespaces, sysctls, hostname, the pod's
/// files and cgroup.
public enum SandboxPolicy {
    public static let defaultCgroupParent = "berth"
    public static let infraOOMScoreAdj: Int32 = -998
    public static let shmSize = 64 * 1024 * 1024

    /// Validates the pod config and decides. `hostResolvConf` and `hostHosts` are the host's
    /// `/etc/resolv.conf` and `/etc/hosts` contents (copied when the pod has no DNS config,
    /// respectively uses the node's network); `podIP` adds a `<ip> <hostname>` line.
    public static func decide(_ config: Runtime_V1_PodSandboxConfig, sandboxID: String, nodeHostname: String,
                              hostResolvConf: String = "", hostHosts: String? = nil, podIP: String? = nil)
        throws(BerthError) -> SandboxDecision {
        try validate(config)
        let security = config.linux.securityContext
        let options = security.namespaceOptions
        let hostNetwork = options.network == .node
        let hostIPC = options.ipc == .node
        let mappings = try UserMappings.from(options)
        let namespaces = try NamespacePolicy.sandbox(options: options, privileged: security.privileged, userMappings: mappings)
        let hostname = hostname(config, nodeHostname: nodeHostname)
        let sysctls = try sysctls(config.linux.sysctls, hostNetwork: hostNetwork, hostIPC: hostIPC)

        var annotations = config.annotations
        annotations["io.kubernetes.cri.container-type"] = "sandbox"
        annotations["io.kubernetes.cri.sandbox-id"] = sandboxID
        annotations["io.kubernetes.cri.sandbox-name"] = config.metadata.name
        annotations["io.kubernetes.cri.sandbox-namespace"] = config.metadata.namespace
        annotations["io.kubernetes.cri.sandbox-uid"] = config.metadata.uid
        annotations["io.kubernetes.cri.sandbox-log-directory"] = config.logDirectory

        return SandboxDecision(
            namespaces: namespaces, uidMappings: mappings?.uids, gidMappings: mappings?.gids,
            hostname: hostname, hostnameFile: hostname + "\n",
            hostsFile: hostNetwork && hostHosts != nil ? hostHosts! : hosts(hostname: hostname, ip: podIP),
            resolvConf: resolvConf(config.hasDnsConfig ? config.dnsConfig : nil, hostResolvConf: hostResolvConf),
            shm: hostIPC ? nil : ShmMount(data: "mode=1777,size=\(shmSize)", flags: MountFlags.noexec | MountFlags.nosuid | MountFlags.nodev),
            sysctls: sysctls,
            cgroupPath: try CgroupPaths.path(parent: config.linux.cgroupParent, id: sandboxID),
            oomScoreAdj: infraOOMScoreAdj, privileged: security.privileged, annotations: annotations)
    }

    /// The metadata must name the pod; names, uids and namespaces may not hold `/` or NUL.
    public static func validate(_ config: Runtime_V1_PodSandboxConfig) throws(BerthError) {
        guard config.hasMetadata else {
            throw BerthError(.invalidArgument, "metadata: a pod sandbox config needs metadata")
        }
        guard !config.metadata.name.isEmpty else {
            throw BerthError(.invalidArgument, "metadata.name: a pod sandbox needs a name")
        }
        try checkName(config.metadata.name, field: "metadata.name")
        try checkName(config.metadata.uid, field: "metadata.uid")
        try checkName(config.metadata.namespace, field: "metadata.namespace")
        try checkName(config.hostname, field: "hostname")
        if !config.linux.cgroupParent.isEmpty {
            try CgroupPaths.checkParent(config.linux.cgroupParent)
        }
    }

    static func checkName(_ value: String, field: String) throws(BerthError) {
        if value.contains("/") || value.contains("\0") {
            throw BerthError(.invalidArgument, "\(field): \"\(value.replacingNUL)\" contains '/' or NUL")
        }
    }

    /// The config's hostname, else the node's.
    public static func hostname(_ config: Runtime_V1_PodSandboxConfig, nodeHostname: String) -> String {
        config.hostname.isEmpty ? nodeHostname : config.hostname
    }

    /// `search …`, `nameserver …` (one line each), `options …`, as containerd writes them;
    /// no DNS config or an empty one → the host's resolv.conf.
    public static func resolvConf(_ dns: Runtime_V1_DNSConfig?, hostResolvConf: String) -> String {
        guard let dns else { return hostResolvConf }
        var text = ""
        if !dns.searches.isEmpty { text += "search \(dns.searches.joined(separator: " "))\n" }
        for server in dns.servers { text += "nameserver \(server)\n" }
        if !dns.options.isEmpty { text += "options \(dns.options.joined(separator: " "))\n" }
        return text.isEmpty ? hostResolvConf : text
    }

    /// The standard localhost lines, and `<ip>\t<hostname>` when the pod's address is known.
    public static func hosts(hostname: String, ip: String?) -> String {
        var text = """
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        fe00::0\tip6-mcastprefix
        fe00::1\tip6-allnodes
        fe00::2\tip6-allrouters

        """
        if let ip, !ip.isEmpty { text += "\(ip)\t\(hostname)\n" }
        return text
    }

    public enum SysctlNamespace: String, Sendable { case ipc, net, uts }

    /// Which namespace a sysctl (`kernel.shm_rmid_forced` or `kernel/shm_rmid_forced`)
    /// belongs to; nil when it is not namespaced.
    public static func namespace(ofSysctl name: String) -> SysctlNamespace? {
        let dotted = name.contains("/") ? name.replacingOccurrences("/", ".") : name
        if dotted.hasPrefix("kernel.shm") || dotted.hasPrefix("kernel.msg") || dotted == "kernel.sem"
            || dotted.hasPrefix("fs.mqueue.") {
            return .ipc
        }
        if dotted.hasPrefix("net.") { return .net }
        if dotted == "kernel.hostname" || dotted == "kernel.domainname" { return .uts }
        return nil
    }

    /// `kernel.shm_rmid_forced` → `kernel/shm_rmid_forced`; a name already using `/` is a path.
    public static func sysctlPath(_ name: String) -> String {
        name.contains("/") ? name : name.replacingOccurrences(".", "/")
    }

    /// Validates the pod's sysctls and converts them to `/proc/sys` paths, sorted by name.
    /// Not namespaced, or namespaced in a namespace the pod shares with the host → refused.
    public static func sysctls(_ sysctls: [String: String], hostNetwork: Bool, hostIPC: Bool) throws(BerthError) -> [ShimPlan.Sysctl] {
        var result: [ShimPlan.Sysctl] = []
        for (name, value) in sysctls.sorted(by: { $0.key < $1.key }) {
            let field = "linux.sysctls[\(name)]"
            let segments = name.split(separator: "/", omittingEmptySubsequences: false)
            guard !name.isEmpty, !name.hasPrefix("/"), !name.hasPrefix("."),
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }),
                  !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
                  name.contains("/") || !name.contains("..")
            else {
                throw BerthError(.invalidArgument, "\(field): \"\(name)\" is not a sysctl name")
            }
            switch namespace(ofSysctl: name) {
            case nil:
                throw BerthError(.invalidArgument, "\(field): \(name) is not a namespaced sysctl")
            case .net where hostNetwork:
                throw BerthError(.invalidArgument, "\(field): \(name) cannot be set with the node's network namespace")
            case .uts where hostNetwork:
                throw BerthError(.invalidArgument, "\(field): \(name) cannot be set with the node's uts namespace")
            case .ipc where hostIPC:
                throw BerthError(.invalidArgument, "\(field): \(name) cannot be set with the node's ipc namespace")
            default:
                result.append(ShimPlan.Sysctl(path: sysctlPath(name), value: value))
            }
        }
        return result
    }
}

/// cgroup paths, relative to the cgroup2 mount, for the cgroupfs way of naming them.
public enum CgroupPaths {
    /// `<parent>/<id>`; the parent defaults to `berth`. A systemd slice name
    /// (`kubepods-burstable-pod1.slice`) is expanded to its directories
    /// (`kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice`).
    public static func path(parent: String, id: String) throws(BerthError) -> String {
        try SandboxPolicy.checkName(id, field: "id")
        guard !id.isEmpty, id != ".", id != ".." else {
            throw BerthError(.invalidArgument, "id: \"\(id)\" cannot name a cgroup")
        }
        var parent = parent.isEmpty ? SandboxPolicy.defaultCgroupParent : parent
        try checkParent(parent)
        if parent.hasSuffix(".slice") && !parent.contains("/") {
            parent = expandSlice(parent)
        }
        let parts = parent.split(separator: "/").map(String.init) + [id]
        return parts.joined(separator: "/")
    }

    static func checkParent(_ parent: String) throws(BerthError) {
        if parent.contains("\0") || parent.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            throw BerthError(.invalidArgument, "linux.cgroup_parent: \"\(parent.replacingNUL)\" is not a cgroup path")
        }
    }

    /// `a-b-c.slice` → `a.slice/a-b.slice/a-b-c.slice`; `-.slice` is the root.
    public static func expandSlice(_ slice: String) -> String {
        if slice == "-.slice" { return "" }
        let name = String(slice.dropLast(".slice".count))
        var result: [String] = []
        var prefix = ""
        for part in name.split(separator: "-") {
            prefix = prefix.isEmpty ? String(part) : prefix + "-" + part
            result.append(prefix + ".slice")
        }
        return result.joined(separator: "/")
    }
}

extension String {
    var replacingNUL: String { replacingOccurrences("\0", "\\0") }

    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
