import BerthBase
import CRI
import RuntimeSpec

/// Which namespaces a pod's infra process and its containers get.
public enum NamespacePolicy {
    /// The container's namespaces (containerd's `WithPodNamespaces` and its NODE removals):
    /// network/ipc/uts join the pod's unless NODE; pid joins the pod's (POD), the target's
    /// (TARGET), gets a new one (CONTAINER) or stays the host's (NODE); mount always new;
    /// cgroup new unless privileged; user joins the pod's when the pod has user mappings.
    public static func container(options: Runtime_V1_NamespaceOption, privileged: Bool, sandbox: SandboxContext,
                                 targetPIDNamespacePath: String?, userMappings: UserMappings?) throws(BerthError) -> [Namespace] {
        let field = "linux.security_context.namespace_options"
        var namespaces: [Namespace] = []
        switch options.pid {
        case .pod:
            namespaces.append(Namespace(type: "pid", path: try required(sandbox.pidNamespacePath, "the pod's pid namespace")))
        case .container:
            namespaces.append(Namespace(type: "pid"))
        case .node:
            break
        case .target:
            guard !options.targetID.isEmpty else {
                throw BerthError(.invalidArgument, "\(field).target_id: pid mode TARGET needs a target container id")
            }
            guard let path = targetPIDNamespacePath else {
                throw BerthError(.notFound, "\(field).target_id: container \"\(options.targetID)\" has no running pid namespace")
            }
            namespaces.append(Namespace(type: "pid", path: path))
        case .UNRECOGNIZED(let value):
            throw BerthError(.invalidArgument, "\(field).pid: unknown namespace mode \(value)")
        }
        switch options.network {
        case .node: break
        case .pod:
            namespaces.append(Namespace(type: "network", path: try required(sandbox.networkNamespacePath, "the pod's network namespace")))
            namespaces.append(Namespace(type: "uts", path: try required(sandbox.utsNamespacePath, "the pod's uts namespace")))
        default:
            throw BerthError(.invalidArgument, "\(field).network: only POD and NODE are supported, not \(options.network)")
        }
        switch options.ipc {
        case .node: break
        case .pod:
            namespaces.append(Namespace(type: "ipc", path: try required(sandbox.ipcNamespacePath, "the pod's ipc namespace")))
        default:
            throw BerthError(.invalidArgument, "\(field).ipc: only POD and NODE are supported, not \(options.ipc)")
        }
        if userMappings != nil {
            namespaces.append(Namespace(type: "user", path: try required(sandbox.userNamespacePath, "the pod's user namespace")))
        }
        namespaces.append(Namespace(type: "mount"))
        if !privileged {
            namespaces.append(Namespace(type: "cgroup"))
        }
        return namespaces
    }

    /// The infra process's namespaces, all new: network and uts unless the pod uses the node's
    /// network, ipc unless NODE, pid unless NODE (CONTAINER pods still get one), mount always,
    /// cgroup unless privileged, user when mapped.
    public static func sandbox(options: Runtime_V1_NamespaceOption, privileged: Bool,
                               userMappings: UserMappings?) throws(BerthError) -> [Namespace] {
        let field = "linux.security_context.namespace_options"
        var namespaces: [Namespace] = []
        switch options.pid {
        case .node: break
        case .pod, .container: namespaces.append(Namespace(type: "pid"))
        default:
            throw BerthError(.invalidArgument, "\(field).pid: a pod's pid mode is POD, CONTAINER or NODE, not \(options.pid)")
        }
        switch options.network {
        case .node: break
        case .pod:
            namespaces.append(Namespace(type: "network"))
            namespaces.append(Namespace(type: "uts"))
        default:
            throw BerthError(.invalidArgument, "\(field).network: only POD and NODE are supported, not \(options.network)")
        }
        switch options.ipc {
        case .node: break
        case .pod: namespaces.append(Namespace(type: "ipc"))
        default:
            throw BerthError(.invalidArgument, "\(field).ipc: only POD and NODE are supported, not \(options.ipc)")
        }
        if userMappings != nil { namespaces.append(Namespace(type: "user")) }
        namespaces.append(Namespace(type: "mount"))
        if !privileged { namespaces.append(Namespace(type: "cgroup")) }
        return namespaces
    }

    private static func required(_ path: String?, _ what: String) throws(BerthError) -> String {
        guard let path else { throw BerthError(.failedPrecondition, "\(what) is not known: the pod infra holds none") }
        return path
    }
}

/// A user namespace's id mappings.
public struct UserMappings: Sendable, Equatable {
    public var uids: [IDMapping]
    public var gids: [IDMapping]

    public init(uids: [IDMapping], gids: [IDMapping]) {
        self.uids = uids
        self.gids = gids
    }

    /// Validates `userns_options` as containerd does: absent or NODE without mappings → nil
    /// (no user namespace); POD needs exactly one uid and one gid mapping, each of non-zero
    /// size whose ranges do not wrap; NODE with mappings, CONTAINER and TARGET are refused.
    public static func from(_ options: Runtime_V1_NamespaceOption,
                            field: String = "linux.security_context.namespace_options.userns_options") throws(BerthError) -> UserMappings? {
        guard options.hasUsernsOptions else { return nil }
        let userns = options.usernsOptions
        switch userns.mode {
        case .node:
            guard userns.uids.isEmpty, userns.gids.isEmpty else {
                throw BerthError(.invalidArgument,
                                 "\(field): mode NODE takes no mappings, got \(userns.uids.count) uid and \(userns.gids.count) gid mappings")
            }
            return nil
        case .pod:
            return UserMappings(uids: try mapping(userns.uids, field: "\(field).uids"),
                                gids: try mapping(userns.gids, field: "\(field).gids"))
        default:
            throw BerthError(.invalidArgument, "\(field).mode: user namespace mode \(userns.mode) is not supported")
        }
    }

    /// A container's mappings: its own `userns_options` when it has them, which must then be
    /// the pod's (its containers share the pod's user namespace), else the pod's, so no
    /// container of a pod with a user namespace runs outside it.
    public static func container(_ options: Runtime_V1_NamespaceOption,
                                 pod: Runtime_V1_NamespaceOption) throws(BerthError) -> UserMappings? {
        let field = "linux.security_context.namespace_options.userns_options"
        let podMappings = try from(pod)
        guard options.hasUsernsOptions else { return podMappings }
        let own = try from(options, field: field)
        guard own == podMappings else {
            throw BerthError(.invalidArgument,
                             "\(field): the container's user namespace must be its pod's: \(describe(own)) differs from the pod's \(describe(podMappings))")
        }
        return own
    }

    /// Refuses a process user (uid, gid, additional gids) that the mappings do not cover:
    /// it could not exist inside the pod's user namespace.
    public func checkCovers(_ user: User?) throws(BerthError) {
        guard let user else { return }
        func covered(_ id: UInt32, _ maps: [IDMapping]) -> Bool {
            maps.contains { UInt64(id) >= UInt64($0.containerID) && UInt64(id) < UInt64($0.containerID) + UInt64($0.size) }
        }
        guard covered(user.uid, uids) else {
            throw BerthError(.invalidArgument, "linux.security_context: uid \(user.uid) is not mapped in the pod's user namespace (\(Self.describe(self)))")
        }
        for gid in [user.gid] + (user.additionalGids ?? []) where !covered(gid, gids) {
            throw BerthError(.invalidArgument, "linux.security_context: gid \(gid) is not mapped in the pod's user namespace (\(Self.describe(self)))")
        }
    }

    static func describe(_ mappings: UserMappings?) -> String {
        guard let mappings else { return "none" }
        func text(_ maps: [IDMapping]) -> String {
            maps.map { "\($0.containerID):\($0.hostID):\($0.size)" }.joined(separator: ",")
        }
        return "uids \(text(mappings.uids)) gids \(text(mappings.gids))"
    }

    private static func mapping(_ list: [Runtime_V1_IDMapping], field: String) throws(BerthError) -> [IDMapping] {
        guard !list.isEmpty else {
            throw BerthError(.invalidArgument, "\(field): mode POD needs a mapping")
        }
        guard list.count == 1 else {
            throw BerthError(.invalidArgument, "\(field): only one mapping is supported, got \(list.count)")
        }
        var result: [IDMapping] = []
        for item in list {
            guard item.length > 0 else {
                throw BerthError(.invalidArgument, "\(field): a mapping of size 0")
            }
            guard UInt64(item.containerID) + UInt64(item.length) <= 1 << 32,
                  UInt64(item.hostID) + UInt64(item.length) <= 1 << 32 else {
                throw BerthError(.invalidArgument, "\(field): the mapping runs past the last id")
            }
            let mapping = IDMapping(containerID: item.containerID, hostID: item.hostID, size: item.length)
            for other in result where overlaps(other, mapping) {
                throw BerthError(.invalidArgument, "\(field): mappings overlap")
            }
            result.append(mapping)
        }
        return result
    }

    static func overlaps(_ a: IDMapping, _ b: IDMapping) -> Bool {
        func overlap(_ x: UInt32, _ y: UInt32) -> Bool {
            UInt64(x) < UInt64(y) + UInt64(b.size) && UInt64(y) < UInt64(x) + UInt64(a.size)
        }
        return overlap(a.containerID, b.containerID) || overlap(a.hostID, b.hostID)
    }
}
