#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import RuntimeSpec
import Testing
@testable import Cgroups

private func resources(_ configure: (inout Resources) -> Void) -> Resources {
    var resources = Resources()
    configure(&resources)
    return resources
}

struct ApplyTests {
    @Test(arguments: [(UInt64(2), UInt64(1)), (1024, 39), (512, 20), (262_144, 10_000), (1, 1), (1_000_000, 10_000)])
    func sharesBecomeWeight(shares: UInt64, weight: UInt64) {
        #expect(CgroupSettings.cpuWeight(shares: shares) == weight)
    }

    @Test func cpuFiles() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("berth/pod/ctr")
        try cgroup.apply(resources { $0.cpu = .init(shares: 1024, quota: 50_000, period: 100_000, cpus: "0-1", mems: "0") })
        #expect(fake.read(cgroup, "cpu.weight") == "39")
        #expect(fake.read(cgroup, "cpu.max") == "50000 100000")
        #expect(fake.read(cgroup, "cpuset.cpus") == "0-1")
        #expect(fake.read(cgroup, "cpuset.mems") == "0")
    }

    @Test func unlimitedQuotaKeepsThePeriod() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        try cgroup.apply(resources { $0.cpu = .init(quota: -1) })
        #expect(fake.read(cgroup, "cpu.max") == "max 100000")
        try cgroup.apply(resources { $0.cpu = .init(period: 200_000) })
        #expect(fake.read(cgroup, "cpu.max") == "max 200000")
        try cgroup.apply(resources { $0.cpu = .init(quota: 0, period: 0) })
        #expect(fake.read(cgroup, "cpu.max") == "max 100000")
        // Nothing asked, nothing written.
        #expect(try CgroupSettings.settings(for: resources { $0.cpu = .init(shares: 0) }).isEmpty)
    }

    @Test func memoryFiles() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("berth/pod/ctr")
        try cgroup.apply(resources { $0.memory = .init(limit: 268_435_456, reservation: 134_217_728, swap: 536_870_912) })
        #expect(fake.read(cgroup, "memory.max") == "268435456")
        #expect(fake.read(cgroup, "memory.low") == "134217728")
        #expect(fake.read(cgroup, "memory.swap.max") == "268435456")
    }

    @Test func swapAsOCICountsIt() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        try cgroup.apply(resources { $0.memory = .init(limit: 1_000_000, swap: 1_000_000) })
        #expect(fake.read(cgroup, "memory.swap.max") == "0")
        try cgroup.apply(resources { $0.memory = .init(limit: 1_000_000, swap: -1) })
        #expect(fake.read(cgroup, "memory.swap.max") == "max")
        try cgroup.apply(resources { $0.memory = .init(limit: -1) })
        #expect(fake.read(cgroup, "memory.max") == "max")
        #expect(throws: BerthError.self) { try cgroup.apply(resources { $0.memory = .init(limit: 2_000_000, swap: 1_000_000) }) }
        #expect(throws: BerthError.self) { try cgroup.apply(resources { $0.memory = .init(swap: 1_000_000) }) }
    }

    @Test func missingSwapAccountingIsFineForNoLimit() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        unlink("\(cgroup.directory)/memory.swap.max")
        try cgroup.apply(resources { $0.memory = .init(limit: 1_000_000, swap: 1_000_000) })
        #expect(fake.read(cgroup, "memory.max") == "1000000")
        #expect(throws: BerthError.self) { try cgroup.apply(resources { $0.memory = .init(limit: 1_000_000, swap: 3_000_000) }) }
    }

    @Test func pidsAndHugepages() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        try cgroup.apply(resources {
            $0.pids = .init(limit: 100)
            $0.hugepageLimits = [.init(pageSize: "2MB", limit: 4_194_304), .init(pageSize: "1GB", limit: 0)]
        })
        #expect(fake.read(cgroup, "pids.max") == "100")
        #expect(fake.read(cgroup, "hugetlb.2MB.max") == "4194304")
        #expect(fake.read(cgroup, "hugetlb.1GB.max") == "0")
        // No reservation files in this hierarchy (kernels before 5.7): only the limits.
        #expect(!FileManager.default.fileExists(atPath: "\(cgroup.directory)/hugetlb.2MB.rsvd.max"))
        try cgroup.apply(resources { $0.pids = .init(limit: -1) })
        #expect(fake.read(cgroup, "pids.max") == "max")
        #expect(throws: BerthError.self) {
            try cgroup.apply(resources { $0.hugepageLimits = [.init(pageSize: "../2MB", limit: 1)] })
        }
    }

    @Test func hugepageReservationsGetTheSameLimitWhereTheKernelHasThem() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        try write("", to: "\(cgroup.directory)/hugetlb.2MB.rsvd.max")
        try write("", to: "\(cgroup.directory)/hugetlb.1GB.rsvd.max")
        try cgroup.apply(resources {
            $0.hugepageLimits = [.init(pageSize: "2MB", limit: 4_194_304), .init(pageSize: "1GB", limit: 0)]
        })
        #expect(fake.read(cgroup, "hugetlb.2MB.max") == "4194304")
        #expect(fake.read(cgroup, "hugetlb.2MB.rsvd.max") == "4194304")
        #expect(fake.read(cgroup, "hugetlb.1GB.rsvd.max") == "0")
        let settings = try CgroupSettings.settings(for: resources { $0.hugepageLimits = [.init(pageSize: "2MB", limit: 1)] })
        #expect(settings.map(\.file) == ["hugetlb.2MB.max", "hugetlb.2MB.rsvd.max"])
        #expect(settings.map(\.optional) == [false, true])
    }

    @Test func unlimitedMemoryLiftsTheSwapLimitToo() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        try cgroup.apply(resources { $0.memory = .init(limit: 1_000_000, swap: 1_000_000) })
        #expect(fake.read(cgroup, "memory.swap.max") == "0")
        // As runc: memory -1 with no swap limit is "both unlimited".
        try cgroup.apply(resources { $0.memory = .init(limit: -1) })
        #expect(fake.read(cgroup, "memory.max") == "max")
        #expect(fake.read(cgroup, "memory.swap.max") == "max")
        // A limited memory with no swap limit leaves swap alone.
        try cgroup.apply(resources { $0.memory = .init(limit: 5_000_000) })
        #expect(fake.read(cgroup, "memory.swap.max") == "max")
    }

    @Test func unifiedKeysAreWrittenAsGivenAndLast() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        try cgroup.apply(resources {
            $0.memory = .init(limit: 1_000_000)
            $0.unified = ["memory.high": "900000", "memory.max": "2000000"]
        })
        #expect(fake.read(cgroup, "memory.high") == "900000")
        #expect(fake.read(cgroup, "memory.max") == "2000000")
    }

    /// Keys that leave the directory, and core files that are no limits: the writer refuses
    /// what the policy refuses, should a request ever reach it unchecked.
    @Test(arguments: ["../memory.max", "memory/../../x", "..", "", "a/b", "cgroup.procs", "cgroup.kill", "cgroup.subtree_control"])
    func unifiedKeysThatAreNoLimitFilesAreRefused(key: String) throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        do {
            try cgroup.apply(resources { $0.unified = [key: "1"] })
            Issue.record("wrote unified key \(key)")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("unified cgroup setting"))
        }
    }

    @Test func missingControllerIsRefusedBeforeAnyWrite() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("berth/pod/ctr", controllers: ["pids", "hugetlb"])
        do {
            try cgroup.apply(resources {
                $0.pids = .init(limit: 10)
                $0.memory = .init(limit: 1_000_000)
            })
            Issue.record("applied a memory limit without the memory controller")
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("berth/pod/ctr"))
            #expect(error.message.contains("the cgroup v2 memory controller, which is not available"))
            #expect(error.message.contains("hugetlb pids"))
        }
        #expect(fake.read(cgroup, "pids.max") == "")
        do {
            try cgroup.apply(resources { $0.unified = ["cpu.idle": "1"] })
            Issue.record("wrote a cpu file without the cpu controller")
        } catch {
            #expect(error.message.contains("cpu controller"))
        }
    }

    @Test func writeFailuresNameTheFileAndErrno() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        do {
            try cgroup.apply(resources { $0.unified = ["memory.oom.group": "1"] })
            Issue.record("wrote a file the cgroup does not have")
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("\(cgroup.directory)/memory.oom.group"))
            #expect(error.message.contains("No such file or directory"))
        }
    }

    @Test func applyingToAMissingCgroupIsNotFound() throws {
        let fake = try FakeHierarchy()
        let cgroup = try Cgroup(mount: fake.mount, path: "nowhere")
        #expect(throws: BerthError(.notFound, "apply limits to cgroup nowhere: it does not exist under \(fake.mount.path)")) {
            try cgroup.apply(resources { $0.pids = .init(limit: 1) })
        }
    }

    @Test func devicesAreNotFiles() throws {
        #expect(try CgroupSettings.settings(for: resources { $0.devices = [.init(allow: false, access: "rwm")] }).isEmpty)
    }
}
