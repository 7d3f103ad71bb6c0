import BerthBase
import Testing
@testable import Cgroups

struct StatsTests {
    @Test func readsEveryControllersFiles() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("berth/pod/ctr")
        let dir = cgroup.directory
        try write("usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 50\nnr_throttled 7\nthrottled_usec 8900\n", to: "\(dir)/cpu.stat")
        try write("10485760\n", to: "\(dir)/memory.current")
        try write("anon 4194304\nfile 6291456\nkernel 0\ninactive_file 2097152\nactive_file 4194304\npgfault 1200\npgmajfault 3\n", to: "\(dir)/memory.stat")
        try write("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n", to: "\(dir)/memory.events")
        try write("67108864\n", to: "\(dir)/memory.max")
        try write("3\n", to: "\(dir)/pids.current")
        try write("max\n", to: "\(dir)/pids.max")
        let stats = try cgroup.stats()
        #expect(stats.cpu == CgroupStats.CPU(usageMicroseconds: 123_456, userMicroseconds: 100_000, systemMicroseconds: 23456,
                                             periods: 50, throttledPeriods: 7, throttledMicroseconds: 8900))
        #expect(stats.memory == CgroupStats.Memory(usageBytes: 10_485_760, workingSetBytes: 8_388_608, anonBytes: 4_194_304,
                                                   fileBytes: 6_291_456, pageFaults: 1200, majorPageFaults: 3,
                                                   oomEvents: 2, oomKills: 1, limitBytes: 67_108_864))
        #expect(stats.pids == CgroupStats.Pids(current: 3, limit: nil))
        #expect(stats.timestampNanoseconds > 1_700_000_000_000_000_000)
    }

    @Test func missingControllersGiveNilParts() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("bare", controllers: [])
        try write("usage_usec 42\nuser_usec 40\nsystem_usec 2\n", to: "\(cgroup.directory)/cpu.stat")
        let stats = try cgroup.stats()
        #expect(stats.cpu == CgroupStats.CPU(usageMicroseconds: 42, userMicroseconds: 40, systemMicroseconds: 2))
        #expect(stats.memory == nil)
        #expect(stats.pids == nil)
    }

    @Test func workingSetNeverGoesNegative() {
        let memory = CgroupStats.memory(current: "100\n", stat: "inactive_file 500\n", events: nil, max: "max\n")
        #expect(memory?.workingSetBytes == 0)
        #expect(memory?.limitBytes == nil)
        #expect(CgroupStats.memory(current: "garbage", stat: nil, events: nil, max: nil) == nil)
        #expect(CgroupStats.cpu(from: "nr_periods 1\n") == nil)
    }

    @Test func statsOfAMissingCgroupIsNotFound() throws {
        let fake = try FakeHierarchy()
        #expect(throws: BerthError.self) { try Cgroup(mount: fake.mount, path: "gone").stats() }
    }

    @Test func processesAreListed() throws {
        let fake = try FakeHierarchy()
        let cgroup = try fake.cgroup("a")
        try write("12\n345\n", to: "\(cgroup.directory)/cgroup.procs")
        #expect(try cgroup.processes() == [12, 345])
        #expect(try Cgroup(mount: fake.mount, path: "missing").processes() == [])
    }
}
