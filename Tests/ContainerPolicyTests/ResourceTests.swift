import BerthBase
import CRI
import ContainerPolicy
import RuntimeSpec
import Testing

@Suite struct ResourceTests {
    func resources(controllers: Set<String> = SandboxContext.allControllers, swap: Bool = true,
                   _ edit: (inout Runtime_V1_LinuxContainerResources) -> Void) throws(BerthError) -> Resources {
        var request = Runtime_V1_LinuxContainerResources()
        edit(&request)
        return try ResourcePolicy.resources(request, controllers: controllers, swapAvailable: swap)
    }

    @Test func cpu() throws {
        let result = try resources {
            $0.cpuShares = 512
            $0.cpuQuota = 50000
            $0.cpuPeriod = 100000
            $0.cpusetCpus = "0-1"
            $0.cpusetMems = "0"
        }
        #expect(result.cpu == Resources.CPU(shares: 512, quota: 50000, period: 100000, cpus: "0-1", mems: "0"))
        #expect(result.memory == nil)
    }

    @Test func nothingRequested() throws {
        #expect(try resources { _ in } == Resources())
    }

    @Test func memoryLimitCapsSwap() throws {
        #expect(try resources { $0.memoryLimitInBytes = 1 << 20 }.memory == Resources.Memory(limit: 1 << 20, swap: 1 << 20))
        #expect(try resources(swap: false) { $0.memoryLimitInBytes = 1 << 20 }.memory == Resources.Memory(limit: 1 << 20))
    }

    @Test func swapLimit() throws {
        let result = try resources { $0.memoryLimitInBytes = 1 << 20; $0.memorySwapLimitInBytes = 1 << 21 }
        #expect(result.memory == Resources.Memory(limit: 1 << 20, swap: 1 << 21))
    }

    @Test func hugepagesAndUnified() throws {
        let result = try resources {
            var limit = Runtime_V1_HugepageLimit()
            limit.pageSize = "2MB"
            limit.limit = 4 << 20
            $0.hugepageLimits = [limit]
            $0.unified = ["memory.high": "1000000"]
        }
        #expect(result.hugepageLimits == [Resources.HugepageLimit(pageSize: "2MB", limit: 4 << 20)])
        #expect(result.unified == ["memory.high": "1000000"])
    }

    @Test func missingMemoryController() {
        let failure = error { try resources(controllers: ["cpu"]) { $0.memoryLimitInBytes = 1 << 20 } }
        #expect(failure == BerthError(.failedPrecondition,
                                      "resources.memory_limit_in_bytes: the cgroup v2 memory controller is not available on this host"))
    }

    @Test(arguments: ["cpu", "cpuset", "hugetlb"])
    func missingController(_ controller: String) {
        let failure = error {
            try resources(controllers: SandboxContext.allControllers.subtracting([controller])) {
                $0.cpuShares = 2
                $0.cpusetCpus = "0"
                var limit = Runtime_V1_HugepageLimit()
                limit.pageSize = "2MB"
                limit.limit = 1
                $0.hugepageLimits = [limit]
            }
        }
        #expect(failure?.code == .failedPrecondition)
        #expect(failure?.message.contains("the cgroup v2 \(controller) controller") == true)
    }

    @Test func unifiedNeedsItsController() {
        #expect(error { try resources(controllers: ["cpu"]) { $0.unified = ["pids.max": "10"] } }?.code == .failedPrecondition)
        #expect(error { try resources { $0.unified = ["../x": "1"] } }?.code == .invalidArgument)
    }

    @Test(arguments: ["memory", "nonsense.max", ".max", "memory.", "../memory.max", "memory.max/x", "", "..",
                      "cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.subtree_control", "cgroup.type"])
    func badUnifiedKeysAreRefusedByName(_ key: String) {
        let failure = error { try resources { $0.unified = [key: "1"] } }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.hasPrefix("resources.unified: \"\(key)\"") == true)
    }

    @Test func unifiedKeysOfTheHostsControllersAndCoreFiles() throws {
        // A controller newer than Berth's list is fine where the host offers it.
        let controllers = SandboxContext.allControllers.union(["dmem"])
        let keys = ["dmem.max": "1", "cgroup.max.descendants": "10", "memory.oom.group": "1", "misc.max": "x 1"]
        #expect(try resources(controllers: controllers.union(["misc"])) { $0.unified = keys }.unified == keys)
        let failure = error { try resources { $0.unified = ["dmem.max": "1"] } }
        #expect(failure?.message.contains("names no cgroup v2 controller (dmem)") == true)
        #expect(error { try resources { $0.unified = ["rdma.max": "1"] } }?.code == .failedPrecondition)
    }

    func cri(_ edit: (inout Runtime_V1_LinuxContainerResources) -> Void) -> Runtime_V1_LinuxContainerResources {
        var request = Runtime_V1_LinuxContainerResources()
        edit(&request)
        return request
    }

    @Test func updateReplacesWhatItSetsAndKeepsTheRest() {
        let current = cri {
            $0.cpuShares = 512
            $0.cpuQuota = 50_000
            $0.cpuPeriod = 100_000
            $0.cpusetCpus = "0-1"
            $0.memoryLimitInBytes = 64 << 20
            $0.oomScoreAdj = 100
            $0.unified = ["memory.high": "1000", "pids.max": "10"]
            var limit = Runtime_V1_HugepageLimit()
            limit.pageSize = "2MB"
            limit.limit = 2 << 20
            $0.hugepageLimits = [limit]
        }
        let merged = ResourcePolicy.merged(current, with: cri {
            $0.cpuQuota = 20_000
            $0.memoryLimitInBytes = 96 << 20
            $0.oomScoreAdj = -999
            $0.unified = ["pids.max": "20"]
            var big = Runtime_V1_HugepageLimit()
            big.pageSize = "1GB"
            big.limit = 1 << 30
            var small = Runtime_V1_HugepageLimit()
            small.pageSize = "2MB"
            small.limit = 4 << 20
            $0.hugepageLimits = [small, big]
        })
        #expect(merged == cri {
            $0.cpuShares = 512
            $0.cpuQuota = 20_000
            $0.cpuPeriod = 100_000
            $0.cpusetCpus = "0-1"
            $0.memoryLimitInBytes = 96 << 20
            $0.oomScoreAdj = 100
            $0.unified = ["memory.high": "1000", "pids.max": "20"]
            var small = Runtime_V1_HugepageLimit()
            small.pageSize = "2MB"
            small.limit = 4 << 20
            var big = Runtime_V1_HugepageLimit()
            big.pageSize = "1GB"
            big.limit = 1 << 30
            $0.hugepageLimits = [small, big]
        })
        #expect(ResourcePolicy.merged(current, with: cri { _ in }) == current)
    }

    @Test func updatedMemoryWithoutSwapMeansNoSwap() throws {
        let current = cri { $0.memoryLimitInBytes = 64 << 20; $0.memorySwapLimitInBytes = 128 << 20 }
        let memoryOnly = ResourcePolicy.merged(current, with: cri { $0.memoryLimitInBytes = 96 << 20 })
        #expect(memoryOnly.memorySwapLimitInBytes == 0)
        let spec = try ResourcePolicy.resources(memoryOnly, controllers: SandboxContext.allControllers, swapAvailable: true)
        #expect(spec.memory == Resources.Memory(limit: 96 << 20, swap: 96 << 20))
        let swapOnly = ResourcePolicy.merged(current, with: cri { $0.memorySwapLimitInBytes = 256 << 20 })
        #expect(swapOnly.memoryLimitInBytes == 64 << 20 && swapOnly.memorySwapLimitInBytes == 256 << 20)
        let both = ResourcePolicy.merged(current, with: cri { $0.memoryLimitInBytes = 32 << 20; $0.memorySwapLimitInBytes = -1 })
        #expect(both.memoryLimitInBytes == 32 << 20 && both.memorySwapLimitInBytes == -1)
    }

    @Test func swapCountsMemoryPlusSwap() throws {
        #expect(try resources { $0.memoryLimitInBytes = 1 << 20; $0.memorySwapLimitInBytes = -1 }.memory
                == Resources.Memory(limit: 1 << 20, swap: -1))
        #expect(try resources { $0.memoryLimitInBytes = 1 << 20; $0.memorySwapLimitInBytes = 1 << 20 }.memory
                == Resources.Memory(limit: 1 << 20, swap: 1 << 20))
        let below = error { try resources { $0.memoryLimitInBytes = 1 << 21; $0.memorySwapLimitInBytes = 1 << 20 } }
        #expect(below?.code == .invalidArgument)
        #expect(below?.message.hasPrefix("resources.memory_swap_limit_in_bytes: 1048576 is below memory_limit_in_bytes 2097152") == true)
        #expect(error { try resources { $0.memorySwapLimitInBytes = 1 << 20 } }?.code == .invalidArgument)
        #expect(error { try resources { $0.memoryLimitInBytes = 1 << 20; $0.memorySwapLimitInBytes = -2 } }?.code == .invalidArgument)
    }

    @Test func swapWithoutAccounting() {
        #expect(error { try resources(swap: false) { $0.memorySwapLimitInBytes = 1 } }?.code == .failedPrecondition)
    }

    @Test func builderNamesTheField() {
        var sandbox = sandboxContext
        sandbox.cgroupControllers = ["cpu"]
        let failure = error { try build({ $0.linux.resources.memoryLimitInBytes = 1 << 20 }, sandbox: sandbox) }
        #expect(failure?.message.hasPrefix("linux.resources.memory_limit_in_bytes:") == true)
    }

    @Test func stopSignal() throws {
        #expect(try build().stopSignal == "SIGTERM")
        #expect(try build(image: imageConfig { $0.stopSignal = "SIGQUIT" }).stopSignal == "SIGQUIT")
        #expect(try build({ $0.stopSignal = .sigkill }, image: imageConfig { $0.stopSignal = "SIGQUIT" }).stopSignal == "SIGKILL")
        #expect(StopSignal.name(request: .sigrtminplus1, image: nil) == "SIGRTMIN+1")
        #expect(StopSignal.name(request: .runtimeDefault, image: "usr1") == "SIGUSR1")
    }
}
