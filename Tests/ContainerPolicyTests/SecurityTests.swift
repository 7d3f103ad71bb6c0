import BerthBase
import CRI
import ContainerPolicy
import RuntimeSpec
import Testing

@Suite struct CapabilityTests {
    func caps(add: [String] = [], drop: [String] = [], ambient: [String] = [], uid: UInt32 = 0) throws(BerthError) -> Capabilities {
        try CapabilityPolicy.capabilities(add: add, drop: drop, ambient: ambient, privileged: false, uid: uid)
    }

    @Test func defaults() throws {
        let result = try caps()
        #expect(result.bounding == CapabilityPolicy.defaults)
        #expect(result.effective == CapabilityPolicy.defaults)
        #expect(result.permitted == CapabilityPolicy.defaults)
        #expect(result.ambient == nil && result.inheritable == nil)
        #expect(CapabilityPolicy.defaults.count == 14)
    }

    @Test(arguments: ["SYS_ADMIN", "sys_admin", "CAP_SYS_ADMIN"])
    func addWithOrWithoutPrefix(_ name: String) throws {
        #expect(try caps(add: [name]).bounding?.contains("CAP_SYS_ADMIN") == true)
    }

    @Test func drop() throws {
        let result = try caps(drop: ["CHOWN", "CAP_KILL"])
        #expect(result.bounding?.contains("CAP_CHOWN") == false)
        #expect(result.bounding?.contains("CAP_KILL") == false)
        #expect(result.bounding?.count == 12)
    }

    @Test func addAll() throws {
        #expect(try caps(add: ["ALL"]).bounding?.count == 41)
    }

    @Test func addAllDropOne() throws {
        let result = try caps(add: ["ALL"], drop: ["CHOWN"])
        #expect(result.bounding?.count == 40)
        #expect(result.bounding?.contains("CAP_CHOWN") == false)
    }

    @Test func dropAllAddOne() throws {
        #expect(try caps(add: ["NET_ADMIN"], drop: ["ALL"]).bounding == ["CAP_NET_ADMIN"])
    }

    @Test func dropAll() throws {
        #expect(try caps(drop: ["all"]).bounding == [])
    }

    @Test func unknownIsInvalid() {
        let failure = error { try caps(add: ["FLY"]) }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.contains("add_capabilities") == true)
        #expect(error { try caps(drop: ["CAP_NOPE"]) }?.message.contains("drop_capabilities") == true)
    }

    @Test func ambient() throws {
        let result = try caps(add: ["NET_ADMIN"], ambient: ["NET_ADMIN"])
        #expect(result.ambient == ["CAP_NET_ADMIN"])
        #expect(result.inheritable == ["CAP_NET_ADMIN"])
    }

    @Test func nonRootKeepsOnlyAmbientEffective() throws {
        let result = try caps(add: ["NET_ADMIN"], ambient: ["NET_ADMIN"], uid: 1000)
        #expect(result.effective == ["CAP_NET_ADMIN"])
        #expect(result.permitted == ["CAP_NET_ADMIN"])
        #expect(result.bounding?.count == 15)
        #expect(try caps(uid: 1000).effective == [])
    }

    @Test func builderUsesRequestCapabilities() throws {
        let output = try build(security { $0.capabilities.addCapabilities = ["SYS_TIME"] })
        #expect(output.spec.process?.capabilities?.bounding?.contains("CAP_SYS_TIME") == true)
    }

    @Test(arguments: [("CAP_CHOWN", 0), ("CAP_SYS_ADMIN", 21), ("CAP_AUDIT_WRITE", 29), ("CAP_CHECKPOINT_RESTORE", 40)])
    func numbers(_ name: String, _ number: Int) {
        #expect(CapabilityPolicy.number(of: name) == number)
    }

    @Test func masks() throws {
        #expect(try CapabilityPolicy.mask(["CAP_CHOWN", "CAP_KILL"]) == 0b100001)
        #expect(try CapabilityPolicy.mask(CapabilityPolicy.all) == (1 << 41) - 1)
        #expect(try CapabilityPolicy.mask(nil) == 0)
        #expect(error { try CapabilityPolicy.mask(["CAP_X"]) }?.code == .invalidArgument)
    }
}

@Suite struct PrivilegedTests {
    func privileged() throws(BerthError) -> ContainerSpecOutput {
        try build(security {
            $0.privileged = true
            $0.seccomp.profileType = .runtimeDefault
            $0.maskedPaths = ["/proc/x"]
        }, pod: privilegedPod())
    }

    @Test func allCapabilities() throws {
        #expect(try privileged().spec.process?.capabilities?.bounding == CapabilityPolicy.all)
    }

    @Test func noMaskedOrReadonlyPaths() throws {
        let linux = try privileged().spec.linux
        #expect(linux?.maskedPaths == [])
        #expect(linux?.readonlyPaths == [])
    }

    @Test func hostDevicesAndAllowAll() throws {
        let linux = try privileged().spec.linux
        #expect(linux?.devices == sandboxContext.hostDevices)
        #expect(linux?.resources?.devices == [Resources.DeviceRule(allow: true, access: "rwm")])
    }

    @Test func sysAndCgroupWritable() throws {
        let mounts = try privileged().spec.mounts ?? []
        #expect(mounts.first { $0.destination == "/sys" }?.options?.contains("rw") == true)
        #expect(mounts.first { $0.destination == "/sys/fs/cgroup" }?.options?.contains("rw") == true)
    }

    @Test func unconfinedAndSharesCgroupNamespace() throws {
        let output = try privileged()
        #expect(output.seccomp == .unconfined)
        #expect(output.spec.linux?.namespaces?.contains { $0.type == "cgroup" } == false)
    }

    @Test func needsPrivilegedPod() {
        #expect(error { try build(security { $0.privileged = true }) }?.code == .invalidArgument)
    }
}

@Suite struct RootAndPathsTests {
    @Test func readonlyRootfs() throws {
        let output = try build(security { $0.readonlyRootfs = true })
        #expect(output.spec.root == Root(path: containerContext.rootfsPath, readonly: true))
        let hosts = output.spec.mounts?.first { $0.destination == "/etc/hosts" }
        #expect(hosts?.options?.contains("ro") == true)
        // /dev/shm stays writable.
        #expect(output.spec.mounts?.first { $0.destination == "/dev/shm" }?.options?.contains("rw") == true)
    }

    @Test func writableRootfs() throws {
        let output = try build()
        #expect(output.spec.root == Root(path: containerContext.rootfsPath))
        #expect(output.spec.mounts?.first { $0.destination == "/etc/hosts" }?.options?.contains("rw") == true)
    }

    @Test func defaultMaskedAndReadonlyPaths() throws {
        let linux = try build().spec.linux
        #expect(Set(linux?.maskedPaths ?? []) == [
            "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
        ])
        #expect(linux?.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
    }

    @Test func requestReplacesPaths() throws {
        let linux = try build(security { $0.maskedPaths = ["/proc/a"]; $0.readonlyPaths = ["/proc/b"] }).spec.linux
        #expect(linux?.maskedPaths == ["/proc/a"])
        #expect(linux?.readonlyPaths == ["/proc/b"])
    }

    @Test func noNewPrivsAndOOMScore() throws {
        let output = try build({
            $0.linux.securityContext.noNewPrivs = true
            $0.linux.resources.oomScoreAdj = 500
        })
        #expect(output.spec.process?.noNewPrivileges == true)
        #expect(output.spec.process?.oomScoreAdj == 500)
        #expect(try build().spec.process?.noNewPrivileges == nil)
    }

    @Test func defaultDevices() throws {
        let devices = try build().spec.linux?.devices ?? []
        #expect(devices.map(\.path) == ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"])
    }

    @Test func requestedDevice() throws {
        var device = Runtime_V1_Device()
        device.hostPath = "/dev/fuse"
        device.containerPath = "/dev/fuse"
        device.permissions = "rw"
        let linux = try build({ $0.devices = [device] }).spec.linux
        #expect(linux?.devices?.last?.path == "/dev/fuse")
        #expect(linux?.resources?.devices?.last == Resources.DeviceRule(allow: true, type: "c", major: 10, minor: 229, access: "rw"))
        device.hostPath = "/dev/nothing"
        #expect(error { try build({ $0.devices = [device] }) }?.code == .notFound)
    }
}

@Suite struct SeccompTests {
    func profile(_ type: Runtime_V1_SecurityProfile.ProfileType, _ ref: String = "") -> Runtime_V1_SecurityProfile {
        var profile = Runtime_V1_SecurityProfile()
        profile.profileType = type
        profile.localhostRef = ref
        return profile
    }

    @Test func profiles() throws {
        #expect(try SeccompChoice.choose(profile: profile(.runtimeDefault), profilePath: "", privileged: false) == .runtimeDefault)
        #expect(try SeccompChoice.choose(profile: profile(.unconfined), profilePath: "", privileged: false) == .unconfined)
        #expect(try SeccompChoice.choose(profile: profile(.localhost, "/p.json"), profilePath: "", privileged: false) == .localhost("/p.json"))
        #expect(try SeccompChoice.choose(profile: nil, profilePath: "", privileged: false) == .unconfined)
    }

    @Test(arguments: [
        ("runtime/default", SeccompChoice.runtimeDefault),
        ("docker/default", .runtimeDefault),
        ("unconfined", .unconfined),
        ("", .unconfined),
        ("localhost//etc/profile.json", .localhost("/etc/profile.json")),
    ])
    func deprecatedPath(_ path: String, _ expected: SeccompChoice) throws {
        #expect(try SeccompChoice.choose(profile: nil, profilePath: path, privileged: false) == expected)
    }

    @Test func profileWinsOverPath() throws {
        #expect(try SeccompChoice.choose(profile: profile(.unconfined), profilePath: "runtime/default", privileged: false) == .unconfined)
    }

    @Test func relativeLocalhostRefused() {
        #expect(error { try SeccompChoice.choose(profile: profile(.localhost, "p.json"), profilePath: "", privileged: false) }?.code
            == .invalidArgument)
        #expect(error { try SeccompChoice.choose(profile: nil, profilePath: "localhost/rel.json", privileged: false) }?.code
            == .invalidArgument)
        #expect(error { try SeccompChoice.choose(profile: nil, profilePath: "bogus", privileged: false) }?.code == .invalidArgument)
    }

    @Test func privilegedIsUnconfined() throws {
        #expect(try SeccompChoice.choose(profile: profile(.runtimeDefault), profilePath: "", privileged: true) == .unconfined)
    }

    @Test func builderRecordsChoiceAndLeavesSpecEmpty() throws {
        let output = try build(security { $0.seccomp.profileType = .runtimeDefault })
        #expect(output.seccomp == .runtimeDefault)
        #expect(output.spec.linux?.seccomp == nil)
    }
}
