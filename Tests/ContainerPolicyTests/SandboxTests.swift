import BerthBase
import CRI
import ContainerPolicy
import RuntimeSpec
import ShimPlan
import Testing

@Suite struct SandboxPolicyTests {
    func decide(_ edit: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in }, hostResolvConf: String = "nameserver 1.1.1.1\n")
        throws(BerthError) -> SandboxDecision {
        try SandboxPolicy.decide(podConfig(edit), sandboxID: "sb1", nodeHostname: "node1", hostResolvConf: hostResolvConf)
    }

    @Test func defaults() throws {
        let decision = try decide()
        #expect(decision.namespaces == [Namespace(type: "pid"), Namespace(type: "network"), Namespace(type: "uts"),
                                        Namespace(type: "ipc"), Namespace(type: "mount"), Namespace(type: "cgroup")])
        #expect(decision.hostname == "pod-host")
        #expect(decision.hostnameFile == "pod-host\n")
        #expect(decision.oomScoreAdj == -998)
        #expect(decision.cgroupPath == "berth/sb1")
        #expect(decision.shm == ShmMount(data: "mode=1777,size=67108864", flags: MountFlags.noexec | MountFlags.nosuid | MountFlags.nodev))
        #expect(decision.annotations["io.kubernetes.cri.container-type"] == "sandbox")
        #expect(decision.hostsFile.hasPrefix("127.0.0.1\tlocalhost\n"))
    }

    @Test func nodeNamespaces() throws {
        let decision = try decide {
            $0.linux.securityContext.namespaceOptions.network = .node
            $0.linux.securityContext.namespaceOptions.ipc = .node
            $0.linux.securityContext.namespaceOptions.pid = .node
        }
        #expect(decision.namespaces == [Namespace(type: "mount"), Namespace(type: "cgroup")])
        #expect(decision.shm == nil)
    }

    @Test func containerPIDModeStillGivesInfraAPIDNamespace() throws {
        #expect(try decide { $0.linux.securityContext.namespaceOptions.pid = .container }.namespaces.first == Namespace(type: "pid"))
    }

    @Test func hostnameFallsBackToNode() throws {
        #expect(try decide { $0.hostname = "" }.hostname == "node1")
    }

    @Test func validation() {
        #expect(error { try decide { $0.clearMetadata() } }?.code == .invalidArgument)
        #expect(error { try decide { $0.metadata.name = "" } }?.message.hasPrefix("metadata.name") == true)
        #expect(error { try decide { $0.metadata.name = "a/b" } }?.code == .invalidArgument)
        #expect(error { try decide { $0.metadata.uid = "u\0" } }?.message.hasPrefix("metadata.uid") == true)
        #expect(error { try decide { $0.metadata.namespace = "ns/x" } }?.code == .invalidArgument)
    }

    @Test func resolvConf() throws {
        let decision = try decide {
            $0.dnsConfig.servers = ["10.0.0.10", "10.0.0.11"]
            $0.dnsConfig.searches = ["ns.svc.cluster.local", "svc.cluster.local"]
            $0.dnsConfig.options = ["ndots:5", "edns0"]
        }
        #expect(decision.resolvConf == """
        search ns.svc.cluster.local svc.cluster.local
        nameserver 10.0.0.10
        nameserver 10.0.0.11
        options ndots:5 edns0

        """)
    }

    @Test func resolvConfFromHost() throws {
        #expect(try decide().resolvConf == "nameserver 1.1.1.1\n")
        #expect(try decide { $0.dnsConfig = Runtime_V1_DNSConfig() }.resolvConf == "nameserver 1.1.1.1\n")
    }

    @Test func hostsWithIP() {
        #expect(SandboxPolicy.hosts(hostname: "h", ip: "10.1.2.3").hasSuffix("fe00::2\tip6-allrouters\n10.1.2.3\th\n"))
    }

    @Test func cgroupParents() throws {
        #expect(try decide { $0.linux.cgroupParent = "/kubepods/burstable/pod1" }.cgroupPath == "kubepods/burstable/pod1/sb1")
        #expect(try decide { $0.linux.cgroupParent = "kubepods-burstable-pod1.slice" }.cgroupPath
            == "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/sb1")
        #expect(error { try decide { $0.linux.cgroupParent = "/a/../b" } }?.code == .invalidArgument)
    }

    @Test func userNamespace() throws {
        var mapping = Runtime_V1_IDMapping()
        mapping.hostID = 100000
        mapping.length = 65536
        let decision = try decide {
            $0.linux.securityContext.namespaceOptions.usernsOptions.mode = .pod
            $0.linux.securityContext.namespaceOptions.usernsOptions.uids = [mapping]
            $0.linux.securityContext.namespaceOptions.usernsOptions.gids = [mapping]
        }
        #expect(decision.namespaces.contains(Namespace(type: "user")))
        #expect(decision.uidMappings == [IDMapping(containerID: 0, hostID: 100000, size: 65536)])
    }
}

@Suite struct SysctlTests {
    @Test(arguments: [
        ("kernel.shm_rmid_forced", SandboxPolicy.SysctlNamespace.ipc),
        ("kernel.shmmax", .ipc),
        ("kernel.msgmax", .ipc),
        ("kernel.sem", .ipc),
        ("fs.mqueue.msg_max", .ipc),
        ("net.ipv4.ip_forward", .net),
        ("net/ipv4/conf/eth0.100/forwarding", .net),
        ("kernel.hostname", .uts),
        ("kernel.domainname", .uts),
    ])
    func namespaced(_ name: String, _ namespace: SandboxPolicy.SysctlNamespace) {
        #expect(SandboxPolicy.namespace(ofSysctl: name) == namespace)
    }

    @Test(arguments: ["kernel.panic", "vm.swappiness", "fs.file-max", "kernel.semx"])
    func notNamespaced(_ name: String) {
        #expect(SandboxPolicy.namespace(ofSysctl: name) == nil)
        let failure = error { try SandboxPolicy.sysctls([name: "1"], hostNetwork: false, hostIPC: false) }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.contains("\(name) is not a namespaced sysctl") == true)
    }

    @Test func paths() throws {
        let result = try SandboxPolicy.sysctls(["kernel.shm_rmid_forced": "1", "net/ipv4/conf/eth0.100/forwarding": "0"],
                                               hostNetwork: false, hostIPC: false)
        #expect(result == [ShimPlan.Sysctl(path: "kernel/shm_rmid_forced", value: "1"),
                           ShimPlan.Sysctl(path: "net/ipv4/conf/eth0.100/forwarding", value: "0")])
    }

    @Test func hostNamespacesRefuse() throws {
        #expect(error { try SandboxPolicy.sysctls(["net.ipv4.ip_forward": "1"], hostNetwork: true, hostIPC: false) } != nil)
        #expect(error { try SandboxPolicy.sysctls(["kernel.hostname": "x"], hostNetwork: true, hostIPC: false) } != nil)
        #expect(error { try SandboxPolicy.sysctls(["kernel.shmmax": "1"], hostNetwork: false, hostIPC: true) } != nil)
        #expect(try SandboxPolicy.sysctls(["kernel.shmmax": "1"], hostNetwork: true, hostIPC: false).count == 1)
    }

    @Test(arguments: ["net/../../etc", "../net.x", "net.a b", "", "/net.ipv4"])
    func badNames(_ name: String) {
        #expect(error { try SandboxPolicy.sysctls([name: "1"], hostNetwork: false, hostIPC: false) }?.code == .invalidArgument)
    }
}

@Suite struct InfraPlanTests {
    @Test func infraPlan() throws {
        let decision = try SandboxPolicy.decide(podConfig { $0.linux.sysctls = ["net.ipv4.ip_forward": "1"] },
                                                sandboxID: "sb1", nodeHostname: "node1")
        let plan = try ShimPlan(sandbox: decision, stateFile: "/run/berth/sb1/state")
        #expect(plan.mode == .infra)
        #expect(plan.namespaces.map(\.kind) == [.pid, .net, .uts, .ipc, .mnt, .cgroup])
        #expect(plan.namespaces.allSatisfy { $0.path == nil })
        #expect(plan.cgroup == "/sys/fs/cgroup/berth/sb1")
        #expect(plan.hostname == "pod-host")
        #expect(plan.sysctls == [ShimPlan.Sysctl(path: "net/ipv4/ip_forward", value: "1")])
        #expect(plan.oomScoreAdj == -998)
        #expect(plan.stateFile == "/run/berth/sb1/state")
    }

    @Test func hostNetworkInfraSetsNoHostname() throws {
        let decision = try SandboxPolicy.decide(podConfig { $0.linux.securityContext.namespaceOptions.network = .node },
                                                sandboxID: "sb1", nodeHostname: "node1")
        #expect(try ShimPlan(sandbox: decision).hostname == nil)
    }
}
