import BerthBase
import ContainerPolicy
import RuntimeSpec
import ShimPlan
import Testing

@Suite struct MountFlagTests {
    @Test func readonlyRecursiveBind() throws {
        let mount = try ShimPlan.mount(Mount(destination: "/data", type: "bind", source: "/host",
                                             options: ["nosuid", "noexec", "nodev", "ro", "rbind"]), isFile: { _ in false })
        #expect(mount.flags == MountFlags.bind | MountFlags.rec)
        #expect(mount.remountFlags == MountFlags.bind | MountFlags.remount | MountFlags.nosuid | MountFlags.noexec
            | MountFlags.nodev | MountFlags.rdonly)
        #expect(mount.type == "bind")
        #expect(mount.targetKind == .directory)
    }

    @Test func writableBindNeedsNoRemount() throws {
        let mount = try ShimPlan.mount(Mount(destination: "/etc/hosts", type: "bind", source: "/pod/hosts",
                                             options: ["rbind", "rprivate", "rw"]), isFile: { $0 == "/pod/hosts" })
        #expect(mount.remountFlags == 0)
        #expect(mount.propagation == MountFlags.rec | MountFlags.private)
        #expect(mount.targetKind == .file)
    }

    @Test func rro() throws {
        let mount = try ShimPlan.mount(Mount(destination: "/d", type: "bind", source: "/s", options: ["rbind", "ro", "rro"]),
                                       isFile: { _ in false })
        #expect(mount.recursiveReadOnly)
    }

    @Test func tmpfsData() throws {
        let mount = try ShimPlan.mount(Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
                                             options: ["nosuid", "strictatime", "mode=755", "size=65536k"]), isFile: { _ in false })
        #expect(mount.flags == MountFlags.nosuid | MountFlags.strictatime)
        #expect(mount.data == "mode=755,size=65536k")
        #expect(mount.remountFlags == 0)
    }

    @Test(arguments: [
        ("ro", MountFlags.rdonly), ("nosuid", MountFlags.nosuid), ("nodev", MountFlags.nodev), ("noexec", MountFlags.noexec),
        ("sync", MountFlags.synchronous), ("remount", MountFlags.remount), ("relatime", MountFlags.relatime),
        ("noatime", MountFlags.noatime), ("nodiratime", MountFlags.nodiratime), ("strictatime", MountFlags.strictatime),
        ("bind", MountFlags.bind), ("rbind", MountFlags.bind | MountFlags.rec), ("recursive", MountFlags.rec),
    ])
    func flag(_ option: String, _ flag: UInt) {
        #expect(MountFlags.parse([option]).flags == flag)
    }

    @Test func clearingOptions() {
        #expect(MountFlags.parse(["ro", "rw"]).flags == 0)
        #expect(MountFlags.parse(["nosuid", "suid", "nodev", "dev", "noexec", "exec"]).flags == 0)
    }

    @Test(arguments: [
        ("private", MountFlags.private), ("rprivate", MountFlags.rec | MountFlags.private),
        ("slave", MountFlags.slave), ("rslave", MountFlags.rec | MountFlags.slave),
        ("shared", MountFlags.shared), ("rshared", MountFlags.rec | MountFlags.shared),
        ("unbindable", MountFlags.unbindable),
    ])
    func propagation(_ option: String, _ flags: UInt) {
        #expect(MountFlags.parse([option]).propagation == flags)
        #expect(MountFlags.parse([option]).flags == 0)
    }

    @Test func values() {
        #expect(MountFlags.rdonly == 1 && MountFlags.bind == 4096 && MountFlags.rec == 16384)
        #expect(MountFlags.private == 1 << 18 && MountFlags.slave == 1 << 19 && MountFlags.shared == 1 << 20)
    }

    @Test func rootPropagation() throws {
        #expect(try MountFlags.rootPropagation(nil) == MountFlags.rec | MountFlags.slave)
        #expect(try MountFlags.rootPropagation("rshared") == MountFlags.rec | MountFlags.shared)
        #expect(try MountFlags.rootPropagation("rslave") == MountFlags.rec | MountFlags.slave)
        #expect(error { try MountFlags.rootPropagation("weird") }?.code == .invalidArgument)
    }
}

@Suite struct PlanTests {
    func plan() throws -> ShimPlan {
        let output = try build({ $0.tty = true; $0.linux.resources.oomScoreAdj = 100 })
        var spec = output.spec
        spec.process?.rlimits = [Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 512)]
        return try ShimPlan(spec: spec, inputs: PlanInputs(rootOverlayData: "lowerdir=a", rootDirectory: "/snap",
                                                           logPath: "/log", exitFile: "/exit", stateFile: "/state",
                                                           seccompFilter: [1, 2, 3]),
                            isFile: { $0.hasPrefix("/run/berth/sb1/") && $0 != "/run/berth/sb1/shm" })
    }

    @Test func wholePlan() throws {
        let plan = try plan()
        #expect(plan.mode == .run)
        #expect(plan.namespaces == [
            ShimPlan.Namespace(.pid, path: "/proc/10/ns/pid"), ShimPlan.Namespace(.net, path: "/proc/10/ns/net"),
            ShimPlan.Namespace(.uts, path: "/proc/10/ns/uts"), ShimPlan.Namespace(.ipc, path: "/proc/10/ns/ipc"),
            ShimPlan.Namespace(.mnt), ShimPlan.Namespace(.cgroup),
        ])
        #expect(plan.cgroup == "/sys/fs/cgroup/berth/c1")
        #expect(plan.memoryEvents == "/sys/fs/cgroup/berth/c1/memory.events")
        #expect(plan.root == ShimPlan.Root(path: containerContext.rootfsPath, overlayData: "lowerdir=a", directory: "/snap",
                                           propagation: MountFlags.rec | MountFlags.slave))
        #expect(plan.mounts.first { $0.destination == "/etc/hosts" }?.targetKind == .file)
        #expect(plan.mounts.first { $0.destination == "/dev/shm" }?.targetKind == .directory)
        #expect(plan.mounts.first { $0.destination == "/proc" }?.type == "proc")
        #expect(plan.devices.first == ShimPlan.Device(path: "/dev/null", kind: .char, major: 1, minor: 3, mode: 0o666))
        #expect(plan.symlinks.contains(ShimPlan.Symlink(target: "pts/ptmx", path: "/dev/ptmx")))
        #expect(plan.symlinks.contains(ShimPlan.Symlink(target: "/proc/self/fd", path: "/dev/fd")))
        #expect(plan.maskedPaths == SecurityDefaults.maskedPaths)
        #expect(plan.readonlyPaths == SecurityDefaults.readonlyPaths)
        #expect(plan.hostname == nil)  // the pod's UTS namespace is joined, not ours to name
        #expect(plan.rlimits == [ShimPlan.Rlimit(resource: 7, soft: 512, hard: 1024)])
        #expect(plan.oomScoreAdj == 100)
        #expect(plan.user == ShimPlan.User(uid: 0, gid: 0, additionalGids: [0]))
        let defaults = try CapabilityPolicy.mask(CapabilityPolicy.defaults)
        #expect(plan.capabilities == ShimPlan.Capabilities(bounding: defaults, effective: defaults, permitted: defaults,
                                                           inheritable: 0, ambient: 0))
        #expect(plan.args == ["sh"])
        #expect(plan.tty)
        #expect(plan.seccompFilter == [1, 2, 3])
        #expect(plan.logPath == "/log" && plan.exitFile == "/exit" && plan.stateFile == "/state")
    }

    @Test func newUTSGetsHostname() throws {
        var spec = Spec()
        spec.hostname = "h"
        var linux = Linux()
        linux.namespaces = [Namespace(type: "uts"), Namespace(type: "mount")]
        linux.sysctl = ["kernel.shmmax": "1"]
        spec.linux = linux
        let plan = try ShimPlan(spec: spec, inputs: PlanInputs(mode: .infra), isFile: { _ in false })
        #expect(plan.hostname == "h")
        #expect(plan.sysctls == [ShimPlan.Sysctl(path: "kernel/shmmax", value: "1")])
        #expect(plan.mode == .infra)
    }

    @Test func rejects() {
        var spec = Spec()
        var linux = Linux()
        linux.namespaces = [Namespace(type: "time")]
        spec.linux = linux
        #expect(error { try ShimPlan(spec: spec, inputs: PlanInputs(), isFile: { _ in false }) }?.code == .invalidArgument)
        spec.linux = nil
        var process = Process()
        process.rlimits = [Rlimit(type: "RLIMIT_BOGUS", hard: 1, soft: 1)]
        spec.process = process
        #expect(error { try ShimPlan(spec: spec, inputs: PlanInputs(), isFile: { _ in false }) }?.code == .invalidArgument)
    }

    @Test func rlimitNumbers() {
        #expect(RlimitNumbers.byName["RLIMIT_NOFILE"] == 7)
        #expect(RlimitNumbers.byName["RLIMIT_NPROC"] == 6)
        #expect(RlimitNumbers.byName["RLIMIT_CORE"] == 4)
    }
}
