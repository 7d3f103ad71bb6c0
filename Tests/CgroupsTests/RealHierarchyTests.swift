#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import ContainerPolicy
import RuntimeSpec
import TestSupport
import Testing
@testable import Cgroups

private let liveMount = CgroupMount.detect()

/// Against this machine's cgroup2 hierarchy, wherever it is mounted; only directories under a
/// `berth-test-*` cgroup are made, and all are removed. cgroup v1 hierarchies are not touched.
@Suite(.enabled(if: isRoot && liveMount != nil, "needs root and a cgroup2 mount"), .serialized)
struct RealHierarchyTests {
    let mount = liveMount!

    func scratch() throws -> Cgroup {
        try mount.cgroup("berth-test-\(UInt32.random(in: 0 ... .max))")
    }

    @Test func detectFindsTheCgroup2Mount() {
        #expect(FileSystem.exists("\(mount.path)/cgroup.controllers"))
        // The kernel makes cgroup.procs in every cgroup2 directory, the root included.
        #expect(FileSystem.exists("\(mount.path)/cgroup.procs"))
        #expect(mount.path != "/sys/fs/cgroup" || !FileSystem.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
    }

    @Test func createReadAndRemove() throws {
        let top = try scratch()
        defer { try? top.remove() }
        let leaf = try mount.cgroup("\(top.path)/pod/ctr")
        // Enabling nothing: the root's subtree_control is the host's business.
        try leaf.create(enabling: [])
        #expect(leaf.exists)
        #expect(try leaf.processes() == [])
        let stats = try leaf.stats()
        #expect(stats.cpu?.usageMicroseconds == 0)
        #expect(leaf.controllers().isSubset(of: mount.availableControllers))
        try top.remove()
        #expect(!top.exists)
        try top.remove()   // already gone
    }

    @Test func missingControllerOnTheRealMount() throws {
        let top = try scratch()
        defer { try? top.remove() }
        try top.create(enabling: [])
        guard !top.controllers().contains("memory") else { return }
        do {
            var limits = RuntimeSpec.Resources()
            limits.memory = .init(limit: 100_000_000)
            try top.apply(limits)
            Issue.record("applied a memory limit without the memory controller")
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("memory controller"))
        }
    }

    @Test func removeKillsWhatIsInside() throws {
        let top = try scratch()
        defer { try? top.remove() }
        let leaf = try mount.cgroup("\(top.path)/ctr")
        try leaf.create(enabling: [])
        let sleeper = Foundation.Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["300"]
        try sleeper.run()
        defer { if sleeper.isRunning { kill(sleeper.processIdentifier, SIGKILL) } }
        try write("\(sleeper.processIdentifier)", to: "\(leaf.directory)/cgroup.procs")
        #expect(try leaf.processes() == [sleeper.processIdentifier])
        try top.remove(timeout: .seconds(5))
        #expect(!top.exists)
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == Foundation.Process.TerminationReason.uncaughtSignal)
    }

    /// The kernel's verifier takes the programs and the cgroup takes them (several at once).
    @Test func deviceFiltersLoadAndAttach() throws {
        let top = try scratch()
        defer { try? top.remove() }
        try top.create(enabling: [])
        try top.applyDevices(ContainerPolicy.DevicePolicy.defaultRules)
        try top.applyDevices([RuntimeSpec.Resources.DeviceRule(allow: true, access: "rwm")])
        try top.applyDevices([.init(allow: false), .init(allow: true, type: "c", major: 4, minor: 1, access: "r"),
                              .init(allow: false, type: "b", major: -1, minor: 0, access: "w")])
        try top.remove()
        do {
            try top.applyDevices(ContainerPolicy.DevicePolicy.defaultRules)
            Issue.record("attached to a removed cgroup")
        } catch {
            #expect(error.message.contains(top.path))
            #expect(error.message.contains("open"))
        }
    }
}
