import BerthBase
import CRI
import Foundation

/// "Resources": cgroup v2 limits that must really hold inside the container (memory, cpu
/// quota, pids, swap, cpuset, hugetlb, `unified` keys), their live update, and the usage
/// stats read from the same cgroups. Each check reads the kernel's own files from inside the
/// container (which sees its cgroup at /sys/fs/cgroup) or watches the kernel enforce the
/// limit; a check whose controller berthd's cgroup v2 tree lacks is skipped with the reason.
enum ResourceChecks {
    static let all: [Check] = [
        oomKilled, cpuQuotaThrottles, pidsStopForkBomb, updateChangesLimits, updateWithoutControllers, swapLimit,
        cpuset, hugetlb, unifiedKeys, unifiedBadKeys, cpuStats, memoryStats,
    ]

    // MARK: - What the host offers

    /// berthd's cgroup v2 tree as its verbose `Status` reports it.
    struct CgroupTree {
        var mountpoint: String
        var controllers: Set<String>
    }

    /// The tree berthd uses; when its `Status` does not say, the harness host's (the harness
    /// runs on the daemon's host).
    static func cgroupTree(_ harness: Harness) async throws -> CgroupTree {
        var request = Runtime_V1_StatusRequest()
        request.verbose = true
        let status = try await harness.call(Method.runtime("Status"), request, as: Runtime_V1_StatusResponse.self)
        if let text = status.info["info"],
           let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
           let cgroup = object["cgroup"] as? [String: Any],
           let controllers = cgroup["controllers"] as? [String] {
            return CgroupTree(mountpoint: cgroup["mountpoint"] as? String ?? "", controllers: Set(controllers))
        }
        return CgroupTree(mountpoint: hostCgroup2MountPoint() ?? "", controllers: Set(HostFiles.cgroup2Controllers()))
    }

    /// Where this host mounts cgroup2, from its mountinfo.
    static func hostCgroup2MountPoint() -> String? {
        for line in (HostFiles.read("/proc/self/mountinfo") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 4, fields[dash + 1] == "cgroup2" {
                return String(fields[4])
            }
        }
        return nil
    }

    /// Skips the check unless berthd's cgroup v2 tree offers every one of `controllers`.
    @discardableResult
    static func require(_ controllers: [String], _ harness: Harness) async throws -> CgroupTree {
        let tree = try await cgroupTree(harness)
        let missing = controllers.filter { !tree.controllers.contains($0) }
        guard missing.isEmpty else {
            let offered = tree.controllers.isEmpty ? "none" : tree.controllers.sorted().joined(separator: " ")
            let place = tree.mountpoint.isEmpty ? "berthd's cgroup v2 tree" : "the cgroup v2 tree at \(tree.mountpoint)"
            throw CheckSkipped(reason: "needs the cgroup v2 \(missing.joined(separator: ", ")) controller\(missing.count > 1 ? "s" : ""), which \(place) does not offer (it has: \(offered)); run it in the guest (make test-guest)")
        }
        return tree
    }

    // MARK: - Reading the container's own cgroup

    /// A file of the container's cgroup, read from inside it.
    static func cgroupFile(_ harness: Harness, _ id: String, _ name: String) async throws -> String {
        try await harness.output(id, ["cat", "/sys/fs/cgroup/\(name)"])
    }

    static func hasCgroupFile(_ harness: Harness, _ id: String, _ name: String) async throws -> Bool {
        try await harness.shell(id, "test -e /sys/fs/cgroup/\(name)").code == 0
    }

    /// `key value` lines (`cpu.stat`, `memory.events`, `pids.events`) as numbers.
    static func keyed(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }

    static func cpuStat(_ harness: Harness, _ id: String) async throws -> [String: UInt64] {
        let values = keyed(try await cgroupFile(harness, id, "cpu.stat"))
        for key in ["usage_usec", "nr_periods", "nr_throttled", "throttled_usec"] where values[key] == nil {
            throw CheckFailure(reason: "cpu.stat inside the container has no \(key): the cpu controller is not enabled for its cgroup")
        }
        return values
    }

    static func containerStats(_ harness: Harness, _ id: String) async throws -> Runtime_V1_ContainerStats {
        var request = Runtime_V1_ContainerStatsRequest()
        request.containerID = id
        return try await harness.call(Method.runtime("ContainerStats"), request, as: Runtime_V1_ContainerStatsResponse.self).stats
    }

    static func podStats(_ harness: Harness, _ id: String) async throws -> Runtime_V1_PodSandboxStats {
        var request = Runtime_V1_PodSandboxStatsRequest()
        request.podSandboxID = id
        return try await harness.call(Method.runtime("PodSandboxStats"), request, as: Runtime_V1_PodSandboxStatsResponse.self).stats
    }

    static func update(_ harness: Harness, _ id: String, _ edit: (inout Runtime_V1_LinuxContainerResources) -> Void) async throws {
        var request = Runtime_V1_UpdateContainerResourcesRequest()
        request.containerID = id
        edit(&request.linux)
        _ = try await harness.call(
            Method.runtime("UpdateContainerResources"), request, as: Runtime_V1_UpdateContainerResourcesResponse.self)
    }

    /// CPU or memory-node numbers of a cpuset list (`0-3,8`).
    static func cpuList(_ text: String) -> [Int] {
        text.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 2, bounds[0] <= bounds[1] { return Array(bounds[0] ... bounds[1]) }
            return bounds.count == 1 ? bounds : []
        }
    }

    static let mib: Int64 = 1 << 20

    // MARK: - Memory

    static let oomKilled = Check("resources/a container over its 15 MiB memory limit is OOMKilled with exit code 137") { harness in
        try await require(["memory"], harness)
        try await harness.withPod("oom") { pod in
            // tail keeps the one endless line in memory; without the limit it would finish (exit 0).
            let status = try await pod.runToExit(
                "c", command: ["sh", "-c", "head -c 200m /dev/zero | tail > /dev/null"], within: .seconds(90)
            ) { config in
                config.linux.resources.memoryLimitInBytes = 15 * mib
            }
            try expectEqual(status.reason, "OOMKilled", "reason (exit code \(status.exitCode))")
            try expectEqual(status.exitCode, 137, "exit code")
        }
    }

    // MARK: - CPU

    static let cpuQuotaThrottles = Check("resources/a cpu.max quota of 20 ms per 100 ms throttles a busy loop, and ContainerStats shows its cpu use") { harness in
        try await require(["cpu"], harness)
        try await harness.withPod("cpu-quota") { pod in
            // Bounded: the loop stops after 300 s even if the quota were not applied.
            let id = try await pod.run("busy", command: ["sh", "-c", "timeout 300 sh -c 'while :; do :; done'; sleep 3600"]) { config in
                config.linux.resources.cpuQuota = 20_000
                config.linux.resources.cpuPeriod = 100_000
            }
            try expectEqual(try await cgroupFile(harness, id, "cpu.max"), "20000 100000", "cpu.max inside")
            var first = try await cpuStat(harness, id)
            let deadline = ContinuousClock.now + .seconds(60)
            while first["nr_throttled"] == 0 {
                guard ContinuousClock.now < deadline else {
                    throw CheckFailure(reason: "nr_throttled still 0 after 60 s of a busy loop under cpu.max 20000 100000 (cpu.stat: \(first))")
                }
                try await Task.sleep(for: .milliseconds(500))
                first = try await cpuStat(harness, id)
            }
            let before = try await containerStats(harness, id)
            try await Task.sleep(for: .seconds(3))
            let second = try await cpuStat(harness, id)
            let after = try await containerStats(harness, id)

            let periods = second["nr_periods", default: 0] &- first["nr_periods", default: 0]
            let throttled = second["nr_throttled", default: 0] &- first["nr_throttled", default: 0]
            let used = second["usage_usec", default: 0] &- first["usage_usec", default: 0]
            try expect(periods >= 10, "only \(periods) cpu.max periods of 100 ms passed in 3 s of a busy loop")
            try expect(throttled > 0, "nr_throttled did not grow in \(periods) periods of a busy loop (\(first["nr_throttled", default: 0]) → \(second["nr_throttled", default: 0]))")
            try expect(second["throttled_usec", default: 0] > first["throttled_usec", default: 0], "throttled_usec did not grow")
            // 20 ms per period, with room for the scheduler's slack; unthrottled it would be ~100 ms.
            try expect(used <= periods * 30_000 + 20_000,
                       "used \(used) µs of cpu in \(periods) periods: more than a 20 ms per 100 ms quota allows")

            try expect(before.hasCpu && before.cpu.usageCoreNanoSeconds.value > 0, "ContainerStats cpu usage of a busy container is 0")
            try expect(after.cpu.usageCoreNanoSeconds.value > before.cpu.usageCoreNanoSeconds.value,
                       "ContainerStats cpu usage did not grow (\(before.cpu.usageCoreNanoSeconds.value) → \(after.cpu.usageCoreNanoSeconds.value))")
            let rate = after.cpu.usageNanoCores.value
            try expect(rate > 0, "ContainerStats usage_nano_cores is 0 for a busy container, sampled 3 s apart")
            try expect(rate <= 400_000_000, "ContainerStats usage_nano_cores \(rate): more than the 0.2 cpu the quota allows")
        }
    }

    // MARK: - pids

    static let pidsStopForkBomb = Check("resources/pids.max stops a fork bomb and the pod's other containers still fork and exec") { harness in
        try await require(["pids"], harness)
        try await harness.withPod("pids") { pod in
            let neighbor = try await pod.run("neighbor")
            let bomb = try await pod.run("bomb") { config in
                config.linux.resources.unified = ["pids.max": "12"]
            }
            try expectEqual(try await cgroupFile(harness, bomb, "pids.max"), "12", "pids.max inside")
            // A bounded bomb: at most 64 sleepers of 60 s, however the limit behaves. The
            // subshell dies at its first refused fork; the outer shell then reports with
            // builtins only (no fork left to spend).
            let script = """
                echo 0 > /tmp/started
                ( i=0; while [ $i -lt 64 ]; do sleep 60 </dev/null >/dev/null 2>&1 & i=$((i+1)); echo $i > /tmp/started; done ) 2>/tmp/bomb.err
                read started < /tmp/started
                read name refused < /sys/fs/cgroup/pids.events
                read current < /sys/fs/cgroup/pids.current
                read err < /tmp/bomb.err
                echo "$started"; echo "$refused"; echo "$current"; echo "$err"
                """
            let lines = try await harness.output(bomb, ["sh", "-c", script]).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            try expect(lines.count >= 3, "the bomb's report: \(lines)")
            let started = Int(lines[0]) ?? -1
            let refused = Int(lines[1]) ?? -1
            let current = Int(lines[2]) ?? -1
            let message = lines.count > 3 ? lines[3] : ""
            try expect(started >= 1, "no sleeper started at all (report \(lines))")
            try expect(started < 64, "all 64 sleepers started under pids.max 12")
            try expect(started <= 12, "\(started) sleepers started under pids.max 12")
            try expect(refused >= 1, "pids.events counts \(refused) refused forks")
            try expect(current >= 1 && current <= 12, "pids.current \(current) under pids.max 12")
            try expect(message.contains("fork"), "the shell did not report a refused fork: \(message.debugDescription)")

            // The limit is the bomb's alone: its neighbor forks twice as many and execs fine.
            let forked = try await harness.output(
                neighbor, ["sh", "-c", "i=0; while [ $i -lt 24 ]; do sleep 1 & i=$((i+1)); done; wait; echo $i"])
            try expectEqual(forked, "24", "sleepers the neighbor started while the bomb is at its limit")
            try expectEqual(try await harness.output(neighbor, ["echo", "still fine"]), "still fine", "exec in the neighbor")
            try expectEqual(try await harness.containerStatus(neighbor).state, .containerRunning, "neighbor state")
            try expectEqual(try await harness.containerStatus(bomb).state, .containerRunning, "bomb state")
        }
    }

    // MARK: - UpdateContainerResources

    static let updateChangesLimits = Check("resources/UpdateContainerResources changes memory, cpu and pids limits of a running container") { harness in
        try await require(["memory", "cpu", "pids"], harness)
        try await harness.withPod("update") { pod in
            let id = try await pod.run("c") { config in
                config.linux.resources.memoryLimitInBytes = 64 * mib
                config.linux.resources.cpuQuota = 50_000
                config.linux.resources.cpuPeriod = 100_000
                config.linux.resources.cpuShares = 512
                config.linux.resources.unified = ["pids.max": "40"]
            }
            try expectEqual(try await cgroupFile(harness, id, "memory.max"), "\(64 * mib)", "memory.max before the update")
            try expectEqual(try await cgroupFile(harness, id, "cpu.max"), "50000 100000", "cpu.max before the update")
            // cpu_shares 512 → weight 1 + (510 × 9999) / 262142, the OCI conversion.
            try expectEqual(try await cgroupFile(harness, id, "cpu.weight"), "20", "cpu.weight before the update")

            try await update(harness, id) {
                $0.memoryLimitInBytes = 96 * mib
                $0.cpuQuota = 30_000
                $0.cpuPeriod = 50_000
                $0.cpuShares = 1024
                $0.unified = ["pids.max": "50"]
            }
            try expectEqual(try await cgroupFile(harness, id, "memory.max"), "\(96 * mib)", "memory.max after the update")
            try expectEqual(try await cgroupFile(harness, id, "cpu.max"), "30000 50000", "cpu.max after the update")
            try expectEqual(try await cgroupFile(harness, id, "cpu.weight"), "39", "cpu.weight after the update (shares 1024)")
            try expectEqual(try await cgroupFile(harness, id, "pids.max"), "50", "pids.max after the update")
            if try await hasCgroupFile(harness, id, "memory.swap.max") {
                try expectEqual(try await cgroupFile(harness, id, "memory.swap.max"), "0", "memory.swap.max (no swap unless asked)")
            }
            var status = try await harness.containerStatus(id).resources.linux
            try expectEqual(status.memoryLimitInBytes, 96 * mib, "memory limit in ContainerStatus")
            try expectEqual(status.cpuQuota, 30_000, "cpu quota in ContainerStatus")
            try expectEqual(status.cpuPeriod, 50_000, "cpu period in ContainerStatus")
            try expectEqual(status.cpuShares, 1024, "cpu shares in ContainerStatus")
            try expectEqual(status.unified["pids.max"], "50", "unified pids.max in ContainerStatus")

            // An update that sets only some fields leaves the others as they are.
            try await update(harness, id) { $0.cpuQuota = 10_000 }
            try expectEqual(try await cgroupFile(harness, id, "cpu.max"), "10000 50000", "cpu.max after a quota-only update")
            try expectEqual(try await cgroupFile(harness, id, "memory.max"), "\(96 * mib)", "memory.max after a quota-only update")
            try expectEqual(try await cgroupFile(harness, id, "pids.max"), "50", "pids.max after a quota-only update")
            status = try await harness.containerStatus(id).resources.linux
            try expectEqual(status.cpuQuota, 10_000, "cpu quota in ContainerStatus after a quota-only update")
            try expectEqual(status.memoryLimitInBytes, 96 * mib, "memory limit in ContainerStatus after a quota-only update")
            try expectEqual(status.cpuShares, 1024, "cpu shares in ContainerStatus after a quota-only update")

            // The lowered limit is live: a process that outgrows it is OOM-killed, the container is not.
            try await update(harness, id) { $0.memoryLimitInBytes = 16 * mib }
            try expectEqual(try await cgroupFile(harness, id, "memory.max"), "\(16 * mib)", "memory.max after lowering it")
            let grown = try await harness.shell(id, "head -c 100m /dev/zero | tail > /dev/null")
            try expectEqual(grown.code, 137, "exit code of a 100 MiB tail under the updated 16 MiB limit (\(grown.text))")
            let events = keyed(try await cgroupFile(harness, id, "memory.events"))
            try expect(events["oom_kill", default: 0] >= 1, "memory.events counts no oom_kill: \(events)")
            try expectEqual(try await harness.containerStatus(id).state, .containerRunning, "container state after its exec was OOM-killed")
        }
    }

    static let updateWithoutControllers = Check(
        "resources/UpdateContainerResources without the memory and cpu controllers is failed_precondition"
    ) { harness in
        let tree = try await cgroupTree(harness)
        let missing = ["memory", "cpu"].filter { !tree.controllers.contains($0) }
        guard !missing.isEmpty else {
            throw CheckSkipped(reason: "berthd's cgroup v2 tree has the memory and cpu controllers; \"UpdateContainerResources changes … limits\" checks them")
        }
        try await harness.withPod("update-refused") { pod in
            let id = try await pod.run("c")
            var request = Runtime_V1_UpdateContainerResourcesRequest()
            request.containerID = id
            request.linux.memoryLimitInBytes = 64 * mib
            request.linux.cpuQuota = 50_000
            request.linux.cpuPeriod = 100_000
            let error = try await expectError([.failedPrecondition], "UpdateContainerResources") {
                try await harness.call(
                    Method.runtime("UpdateContainerResources"), request, as: Runtime_V1_UpdateContainerResourcesResponse.self)
            }
            try expect(
                missing.contains { error.message.contains($0) },
                "message does not name the missing controller (\(missing.joined(separator: ", "))): \(error.message)")
            try expectEqual(try await harness.containerStatus(id).state, .containerRunning, "container state after the refusal")
            let status = try await harness.containerStatus(id).resources.linux
            try expectEqual(status.memoryLimitInBytes, 0, "memory limit in ContainerStatus after the refusal")
        }
    }

    // MARK: - Swap

    static let swapLimit = Check("resources/memory_swap_limit_in_bytes counts memory+swap: memory.swap.max is their difference") { harness in
        try await require(["memory"], harness)
        try await harness.withPod("swap") { pod in
            let plain = try await pod.run("plain")
            guard try await hasCgroupFile(harness, plain, "memory.swap.max") else {
                throw CheckSkipped(reason: "the kernel does not account swap for cgroups (no memory.swap.max)")
            }
            // CRI semantics, as containerd and runc apply them.
            let cases: [(name: String, swap: Int64, want: String)] = [
                ("more", 48 * mib, "\(16 * mib)"),  // 48 MiB memory+swap over 32 MiB memory: 16 MiB of swap
                ("equal", 32 * mib, "0"),           // equal: no swap
                ("unlimited", -1, "max"),           // -1: swap unlimited
                ("unset", 0, "0"),                  // unset: no swap (containerd sets swap = memory)
            ]
            for item in cases {
                let id = try await pod.run(item.name) { config in
                    config.linux.resources.memoryLimitInBytes = 32 * mib
                    config.linux.resources.memorySwapLimitInBytes = item.swap
                }
                try expectEqual(try await cgroupFile(harness, id, "memory.max"), "\(32 * mib)", "memory.max (\(item.name))")
                try expectEqual(try await cgroupFile(harness, id, "memory.swap.max"), item.want,
                                "memory.swap.max for memory 32 MiB, memory_swap_limit_in_bytes \(item.swap) (\(item.name))")
                if item.swap != 0 {
                    try expectEqual(try await harness.containerStatus(id).resources.linux.memorySwapLimitInBytes, item.swap,
                                    "swap limit in ContainerStatus (\(item.name))")
                }
            }
            try await expectRefused(pod, "below", what: "memory_swap_limit_in_bytes below memory_limit_in_bytes",
                                    naming: "memory_swap_limit_in_bytes") { config in
                config.linux.resources.memoryLimitInBytes = 32 * mib
                config.linux.resources.memorySwapLimitInBytes = 16 * mib
            }
        }
    }

    // MARK: - cpuset

    static let cpuset = Check("resources/cpuset_cpus and cpuset_mems pin the container (cpuset files, Cpus_allowed_list)") { harness in
        try await require(["cpuset"], harness)
        try await harness.withPod("cpuset") { pod in
            let free = try await pod.run("free")
            let cpus = cpuList(try await cgroupFile(harness, free, "cpuset.cpus.effective"))
            let mems = cpuList(try await cgroupFile(harness, free, "cpuset.mems.effective"))
            guard let cpu = cpus.last, let mem = mems.first else {
                throw CheckFailure(reason: "no cpus or memory nodes in cpuset.*.effective of an unpinned container (\(cpus), \(mems))")
            }
            // The last cpu: pinning to it differs from the default wherever there are two.
            let pinned = try await pod.run("pinned") { config in
                config.linux.resources.cpusetCpus = "\(cpu)"
                config.linux.resources.cpusetMems = "\(mem)"
            }
            try expectEqual(try await cgroupFile(harness, pinned, "cpuset.cpus"), "\(cpu)", "cpuset.cpus inside")
            try expectEqual(try await cgroupFile(harness, pinned, "cpuset.mems"), "\(mem)", "cpuset.mems inside")
            try expectEqual(try await cgroupFile(harness, pinned, "cpuset.cpus.effective"), "\(cpu)", "cpuset.cpus.effective inside")
            let status = try await harness.output(pinned, ["grep", "-E", "^(Cpus|Mems)_allowed_list:", "/proc/self/status"])
            let allowed = Dictionary(uniqueKeysWithValues: status.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: ":", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces)) : nil
            })
            try expectEqual(allowed["Cpus_allowed_list"], "\(cpu)", "Cpus_allowed_list of a process in the pinned container")
            try expectEqual(allowed["Mems_allowed_list"], "\(mem)", "Mems_allowed_list of a process in the pinned container")
            try expectEqual(try await harness.output(pinned, ["nproc"]), "1", "nproc in the pinned container")
            let echoed = try await harness.containerStatus(pinned).resources.linux
            try expectEqual(echoed.cpusetCpus, "\(cpu)", "cpuset_cpus in ContainerStatus")
            try expectEqual(echoed.cpusetMems, "\(mem)", "cpuset_mems in ContainerStatus")
        }
    }

    // MARK: - hugetlb

    static let hugetlb = Check("resources/hugepage_limits set hugetlb.2MB.max (and its reservation limit)") { harness in
        try await require(["hugetlb"], harness)
        try await harness.withPod("hugetlb") { pod in
            let free = try await pod.run("free")
            guard try await hasCgroupFile(harness, free, "hugetlb.2MB.max") else {
                throw CheckSkipped(reason: "this kernel has no 2 MB huge pages (no hugetlb.2MB.max in a container's cgroup)")
            }
            // Unlimited reads as "max" or as the largest page-aligned number, depending on the kernel.
            let unlimited = try await cgroupFile(harness, free, "hugetlb.2MB.max")
            try expect(unlimited != "\(4 * mib)", "hugetlb.2MB.max of a container without hugepage limits is \(unlimited)")
            let limited = try await pod.run("limited") { config in
                var limit = Runtime_V1_HugepageLimit()
                limit.pageSize = "2MB"
                limit.limit = UInt64(4 * mib)
                config.linux.resources.hugepageLimits = [limit]
            }
            try expectEqual(try await cgroupFile(harness, limited, "hugetlb.2MB.max"), "\(4 * mib)", "hugetlb.2MB.max inside")
            if try await hasCgroupFile(harness, limited, "hugetlb.2MB.rsvd.max") {
                try expectEqual(try await cgroupFile(harness, limited, "hugetlb.2MB.rsvd.max"), "\(4 * mib)",
                                "hugetlb.2MB.rsvd.max inside (reservations capped like the faults, as runc does)")
            }
            let echoed = try await harness.containerStatus(limited).resources.linux.hugepageLimits
            try expectEqual(echoed.map { "\($0.pageSize)=\($0.limit)" }, ["2MB=\(4 * mib)"], "hugepage limits in ContainerStatus")
        }
    }

    // MARK: - unified

    static let unifiedKeys = Check("resources/unified keys (memory.high, pids.max) reach the container's cgroup files") { harness in
        try await require(["memory", "pids"], harness)
        try await harness.withPod("unified") { pod in
            let unified = ["memory.high": "\(20 * mib)", "pids.max": "32"]
            let id = try await pod.run("c") { config in
                config.linux.resources.memoryLimitInBytes = 64 * mib
                config.linux.resources.unified = unified
            }
            try expectEqual(try await cgroupFile(harness, id, "memory.high"), "\(20 * mib)", "memory.high inside")
            try expectEqual(try await cgroupFile(harness, id, "pids.max"), "32", "pids.max inside")
            try expectEqual(try await cgroupFile(harness, id, "memory.max"), "\(64 * mib)", "memory.max next to the unified keys")
            try expectEqual(try await harness.containerStatus(id).resources.linux.unified, unified, "unified in ContainerStatus")
        }
    }

    static let unifiedBadKeys = Check("resources/bad unified keys are refused, naming the key") { harness in
        let tree = try await cgroupTree(harness)
        try await harness.withPod("unified-bad") { pod in
            for key in ["nonsense.max", "memory", "../memory.max"] {
                try await expectRefused(pod, "bad", what: "unified key \(key.debugDescription)", naming: key) { config in
                    config.linux.resources.unified = [key: "1"]
                }
            }
            // A file the controller does not have: only the kernel can tell, when the cgroup is written.
            guard let controller = ["memory", "pids", "cpu", "hugetlb"].first(where: tree.controllers.contains) else {
                throw CheckSkipped(reason: "berthd's cgroup v2 tree offers none of memory, pids, cpu, hugetlb to try an unknown file of")
            }
            try await expectRefused(pod, "unknown", what: "unified key \(controller).nonsense", naming: "\(controller).nonsense") { config in
                config.linux.resources.unified = ["\(controller).nonsense": "1"]
            }
        }
    }

    /// A container `configure`d with a bad limit must not run: CreateContainer refuses it, or
    /// else StartContainer does, with invalid_argument or failed_precondition naming `naming`.
    static func expectRefused(
        _ pod: Pod, _ name: String, what: String, naming: String, _ configure: (inout Runtime_V1_ContainerConfig) -> Void
    ) async throws {
        var config = pod.containerConfig(name)
        config.metadata.attempt = UInt32.random(in: 1 ... 1_000_000)
        configure(&config)
        let codes: Set<ErrorCode> = [.invalidArgument, .failedPrecondition]
        let id: String
        do {
            id = try await pod.create(config)
        } catch let error as BerthError {
            try expect(codes.contains(error.code), "CreateContainer with \(what): got \(error), want invalid_argument or failed_precondition")
            try expect(error.message.contains(naming), "CreateContainer with \(what): the error does not name \(naming): \(error.message)")
            return
        }
        let error = try await expectError(codes, "StartContainer with \(what)") { try await pod.harness.start(id) }
        try expect(error.message.contains(naming), "StartContainer with \(what): the error does not name \(naming): \(error.message)")
        let state = try await pod.harness.containerStatus(id).state
        try expect(state != .containerRunning, "container with \(what) is RUNNING after its start failed")
    }

    // MARK: - Stats

    /// Holds ~8 MB in a shell variable, spins a little, then marks itself ready and sleeps
    /// (not as the last command, so the shell stays with its memory).
    static let worker = [
        "sh", "-c",
        "x=$(yes 0123456789abcdef | head -c 8000000); i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; touch /tmp/ready; sleep 3600; echo ${#x}",
    ]

    static func waitReady(_ harness: Harness, _ id: String) async throws {
        let deadline = ContinuousClock.now + .seconds(90)
        while try await harness.shell(id, "test -e /tmp/ready").code != 0 {
            guard ContinuousClock.now < deadline else { throw CheckFailure(reason: "the worker did not finish its work within 90 s") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    static let cpuStats = Check("resources/ContainerStats, ListContainerStats and PodSandboxStats report the cpu time a container used") { harness in
        let tree = try await cgroupTree(harness)
        guard !tree.mountpoint.isEmpty else {
            throw CheckSkipped(reason: "berthd has no cgroup v2 tree to read usage from")
        }
        try await harness.withPod("cpu-stats") { pod in
            let id = try await pod.run("worker", command: worker)
            try await waitReady(harness, id)
            let floor: UInt64 = 10_000_000  // 10 ms: the work above takes well over that
            let stats = try await containerStats(harness, id)
            try expect(stats.hasCpu && stats.cpu.timestamp > 0, "ContainerStats has no cpu sample")
            try expect(stats.cpu.usageCoreNanoSeconds.value >= floor,
                       "ContainerStats cpu usage \(stats.cpu.usageCoreNanoSeconds.value) ns, want at least \(floor) after the work")
            let listed = try await ContainerChecks.listStats(harness) { $0.id = id }
            try expectEqual(listed.map(\.attributes.id), [id], "ListContainerStats by id")
            try expect(listed[0].cpu.usageCoreNanoSeconds.value >= stats.cpu.usageCoreNanoSeconds.value,
                       "ListContainerStats cpu usage \(listed[0].cpu.usageCoreNanoSeconds.value) below ContainerStats' earlier \(stats.cpu.usageCoreNanoSeconds.value)")
            let sandbox = try await podStats(harness, pod.id)
            try expect(sandbox.linux.cpu.usageCoreNanoSeconds.value >= stats.cpu.usageCoreNanoSeconds.value,
                       "PodSandboxStats cpu usage \(sandbox.linux.cpu.usageCoreNanoSeconds.value) below its container's \(stats.cpu.usageCoreNanoSeconds.value)")
            let inPod = sandbox.linux.containers.filter { $0.attributes.id == id }
            try expectEqual(inPod.count, 1, "the container's entries in PodSandboxStats")
            try expect(inPod[0].cpu.usageCoreNanoSeconds.value >= floor,
                       "the container's cpu usage in PodSandboxStats is \(inPod[0].cpu.usageCoreNanoSeconds.value) ns")
        }
    }

    static let memoryStats = Check("resources/ContainerStats, ListContainerStats and PodSandboxStats report the memory working set a container holds") { harness in
        let tree = try await require(["memory"], harness)
        try await harness.withPod("memory-stats") { pod in
            let id = try await pod.run("worker", command: worker) { config in
                config.linux.resources.memoryLimitInBytes = 64 * mib
            }
            try await waitReady(harness, id)
            let floor: UInt64 = 4 << 20  // the shell holds ~8 MB
            let stats = try await containerStats(harness, id)
            let memory = stats.memory
            try expect(stats.hasMemory && memory.timestamp > 0, "ContainerStats has no memory sample")
            try expect(memory.workingSetBytes.value >= floor,
                       "ContainerStats working set \(memory.workingSetBytes.value) bytes, want at least \(floor) for a shell holding 8 MB")
            try expect(memory.usageBytes.value >= memory.workingSetBytes.value, "usage \(memory.usageBytes.value) below the working set \(memory.workingSetBytes.value)")
            try expect(memory.workingSetBytes.value <= UInt64(64 * mib), "working set \(memory.workingSetBytes.value) above the 64 MiB limit")
            // Read from the container's own cgroup: what is left below its own memory.max.
            try expectEqual(memory.availableBytes.value, UInt64(64 * mib) - memory.workingSetBytes.value, "available bytes (64 MiB − working set)")
            try expect(memory.rssBytes.value >= floor, "rss (anon) \(memory.rssBytes.value) bytes for a shell holding 8 MB")
            let listed = try await ContainerChecks.listStats(harness) { $0.id = id }
            try expectEqual(listed.map(\.attributes.id), [id], "ListContainerStats by id")
            try expect(listed[0].memory.workingSetBytes.value >= floor, "ListContainerStats working set \(listed[0].memory.workingSetBytes.value)")
            let sandbox = try await podStats(harness, pod.id)
            try expect(sandbox.linux.memory.workingSetBytes.value >= floor, "PodSandboxStats working set \(sandbox.linux.memory.workingSetBytes.value)")
            let inPod = sandbox.linux.containers.filter { $0.attributes.id == id }
            try expectEqual(inPod.count, 1, "the container's entries in PodSandboxStats")
            try expect(inPod[0].memory.workingSetBytes.value >= floor, "the container's working set in PodSandboxStats: \(inPod[0].memory.workingSetBytes.value)")
            if tree.controllers.contains("pids") {
                // The infra process, the shell and its sleep at least.
                try expect(sandbox.linux.process.processCount.value >= 3, "PodSandboxStats process count \(sandbox.linux.process.processCount.value)")
            }
        }
    }
}
