import BerthBase
import CRI
import ContainerPolicy
import RuntimeSpec
import Testing

@Suite struct NamespaceTests {
    func namespaces(_ edit: @escaping (inout Runtime_V1_NamespaceOption) -> Void,
                    container: ContainerContext = containerContext) throws(BerthError) -> [Namespace] {
        try build(security { edit(&$0.namespaceOptions) }, container: container).spec.linux?.namespaces ?? []
    }

    @Test func podDefaults() throws {
        #expect(try namespaces { _ in } == [
            Namespace(type: "pid", path: "/proc/10/ns/pid"),
            Namespace(type: "network", path: "/proc/10/ns/net"),
            Namespace(type: "uts", path: "/proc/10/ns/uts"),
            Namespace(type: "ipc", path: "/proc/10/ns/ipc"),
            Namespace(type: "mount"),
            Namespace(type: "cgroup"),
        ])
    }

    @Test func hostNetworkDropsNetworkAndUTS() throws {
        let result = try namespaces { $0.network = .node }
        #expect(!result.contains { $0.type == "network" || $0.type == "uts" })
    }

    @Test func hostIPC() throws {
        #expect(try !namespaces { $0.ipc = .node }.contains { $0.type == "ipc" })
    }

    @Test func pidModes() throws {
        #expect(try namespaces { $0.pid = .container }.first { $0.type == "pid" } == Namespace(type: "pid"))
        #expect(try !namespaces { $0.pid = .node }.contains { $0.type == "pid" })
        var container = containerContext
        container.targetPIDNamespacePath = "/proc/77/ns/pid"
        let target = try namespaces({ $0.pid = .target; $0.targetID = "other" }, container: container)
        #expect(target.first { $0.type == "pid" } == Namespace(type: "pid", path: "/proc/77/ns/pid"))
    }

    @Test func targetNeedsIDAndPath() {
        #expect(error { try namespaces { $0.pid = .target } }?.code == .invalidArgument)
        #expect(error { try namespaces { $0.pid = .target; $0.targetID = "other" } }?.code == .notFound)
    }

    @Test func hostnameAndEnv() throws {
        let spec = try build().spec
        #expect(spec.hostname == "pod-host")
        let node = try build(pod: podConfig { $0.hostname = "" }).spec
        #expect(node.hostname == "node1")
        #expect(node.process?.env?.contains("HOSTNAME=node1") == true)
    }

    @Test func sysctlsFromPod() throws {
        let spec = try build(pod: podConfig { $0.linux.sysctls = ["net.ipv4.ip_forward": "1"] }).spec
        #expect(spec.linux?.sysctl == ["net.ipv4.ip_forward": "1"])
    }

    @Test func annotations() throws {
        let spec = try build({ $0.annotations = ["a": "b"] }).spec
        #expect(spec.annotations?["a"] == "b")
        #expect(spec.annotations?["io.kubernetes.cri.container-type"] == "container")
        #expect(spec.annotations?["io.kubernetes.cri.container-name"] == "app")
        #expect(spec.annotations?["io.kubernetes.cri.sandbox-id"] == "sb1")
        #expect(spec.annotations?["io.kubernetes.cri.image-name"] == "docker.io/library/busybox:latest")
        #expect(spec.linux?.cgroupsPath == "berth/c1")
    }
}

@Suite struct UserNamespaceTests {
    func mapping(_ container: UInt32, _ host: UInt32, _ size: UInt32) -> Runtime_V1_IDMapping {
        var mapping = Runtime_V1_IDMapping()
        mapping.containerID = container
        mapping.hostID = host
        mapping.length = size
        return mapping
    }

    func options(_ mode: Runtime_V1_NamespaceMode, uids: [Runtime_V1_IDMapping], gids: [Runtime_V1_IDMapping]) -> Runtime_V1_NamespaceOption {
        var options = Runtime_V1_NamespaceOption()
        options.usernsOptions.mode = mode
        options.usernsOptions.uids = uids
        options.usernsOptions.gids = gids
        return options
    }

    @Test func podModeMaps() throws {
        let result = try UserMappings.from(options(.pod, uids: [mapping(0, 100000, 65536)], gids: [mapping(0, 200000, 65536)]))
        #expect(result == UserMappings(uids: [IDMapping(containerID: 0, hostID: 100000, size: 65536)],
                                       gids: [IDMapping(containerID: 0, hostID: 200000, size: 65536)]))
    }

    @Test func absentOrNodeIsNone() throws {
        #expect(try UserMappings.from(Runtime_V1_NamespaceOption()) == nil)
        #expect(try UserMappings.from(options(.node, uids: [], gids: [])) == nil)
    }

    @Test(arguments: [
        ("empty", Runtime_V1_NamespaceMode.pod, [] as [UInt32], [0, 1000, 10] as [UInt32]),
        ("zero size", .pod, [0, 1000, 0], [0, 1000, 10]),
        ("wraps", .pod, [0, 4_294_967_295, 10], [0, 1000, 10]),
        ("node with mappings", .node, [0, 1000, 10], [0, 1000, 10]),
        ("container mode", .container, [0, 1000, 10], [0, 1000, 10]),
    ])
    func refused(_ name: String, _ mode: Runtime_V1_NamespaceMode, _ uid: [UInt32], _ gid: [UInt32]) {
        let uids = uid.isEmpty ? [] : [mapping(uid[0], uid[1], uid[2])]
        let gids = gid.isEmpty ? [] : [mapping(gid[0], gid[1], gid[2])]
        #expect(error { try UserMappings.from(options(mode, uids: uids, gids: gids)) }?.code == .invalidArgument, "\(name)")
    }

    @Test func moreThanOneRefused() {
        let failure = error {
            try UserMappings.from(options(.pod, uids: [mapping(0, 1000, 10), mapping(10, 5000, 10)], gids: [mapping(0, 1000, 10)]))
        }
        #expect(failure?.message.contains("only one mapping") == true)
    }

    func userns(_ uid: [UInt32], _ gid: [UInt32]) -> (inout Runtime_V1_NamespaceOption) -> Void {
        { [self] in
            $0.usernsOptions.mode = .pod
            $0.usernsOptions.uids = [mapping(uid[0], uid[1], uid[2])]
            $0.usernsOptions.gids = [mapping(gid[0], gid[1], gid[2])]
        }
    }

    func podWithUserns(_ uid: [UInt32] = [0, 100000, 65536], _ gid: [UInt32] = [0, 100000, 65536]) -> Runtime_V1_PodSandboxConfig {
        podConfig { userns(uid, gid)(&$0.linux.securityContext.namespaceOptions) }
    }

    @Test func containerJoinsPodUserNamespace() throws {
        let spec = try build(security { self.userns([0, 100000, 65536], [0, 100000, 65536])(&$0.namespaceOptions) },
                             pod: podWithUserns()).spec
        #expect(spec.linux?.namespaces?.contains(Namespace(type: "user", path: "/proc/10/ns/user")) == true)
        #expect(spec.linux?.uidMappings == [IDMapping(containerID: 0, hostID: 100000, size: 65536)])
    }

    @Test func containerWithoutOptionsStillJoinsThePodUserNamespace() throws {
        let spec = try build(pod: podWithUserns()).spec
        #expect(spec.linux?.namespaces?.contains(Namespace(type: "user", path: "/proc/10/ns/user")) == true)
        #expect(spec.linux?.gidMappings == [IDMapping(containerID: 0, hostID: 100000, size: 65536)])
    }

    @Test func containerMappingsMustBeThePods() {
        let other = error {
            try build(security { self.userns([0, 200000, 65536], [0, 100000, 65536])(&$0.namespaceOptions) }, pod: podWithUserns())
        }
        #expect(other?.code == .invalidArgument)
        #expect(other?.message.contains("must be its pod's") == true)
        let none = error {
            try build(security { self.userns([0, 100000, 65536], [0, 100000, 65536])(&$0.namespaceOptions) })
        }
        #expect(none?.code == .invalidArgument)
    }

    @Test func unmappedUserRefused() {
        let uid = error { try build(security { $0.runAsUser.value = 70000 }, pod: podWithUserns()) }
        #expect(uid?.code == .invalidArgument)
        #expect(uid?.message.contains("uid 70000 is not mapped") == true)
        let gid = error { try build(security { $0.runAsUser.value = 0; $0.runAsGroup.value = 5 }, pod: podWithUserns([0, 100000, 65536], [10, 100000, 100])) }
        #expect(gid?.message.contains("gid 5 is not mapped") == true)
        #expect(throws: Never.self) { try build(security { $0.runAsUser.value = 1000 }, pod: podWithUserns()) }
    }

    @Test func userNamespaceNeedsThePodsOne() {
        var sandbox = sandboxContext
        sandbox.userNamespacePath = nil
        #expect(error { try build(pod: podWithUserns(), sandbox: sandbox) }?.code == .failedPrecondition)
    }
}
