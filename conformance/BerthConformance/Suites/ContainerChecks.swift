import BerthBase
import CRI
import Foundation

/// "Containers": the container life cycle, metadata, exit status, ExecSync and stats; limits,
/// their updates and OOM kills are in ResourceChecks.
enum ContainerChecks {
    static let all: [Check] = [
        createListed, startRunning, stopWithTimeout, removeCreated, removeRunning, removeExited, metadataEchoed,
        imageDefaults, imageEntrypointWithArgs, exitCompleted, exitError, execSyncExact, execSyncTimeout,
        containerStats, listStatsById, listStatsAll, listStatsByLabel, podSandboxStats, duplicateName, sharedNetwork,
    ]

    static let createListed = Check("containers/create gives a CREATED container, listed") { harness in
        try await harness.withPod("create") { pod in
            let id = try await pod.create("c")
            let listed = try await harness.listContainers { $0.id = id }
            try expectEqual(listed.map(\.id), [id], "containers listed with filter id \(id)")
            try expectEqual(listed[0].state, .containerCreated, "listed state")
            try expectEqual(listed[0].podSandboxID, pod.id, "listed pod sandbox id")
            let status = try await harness.containerStatus(id)
            try expectEqual(status.state, .containerCreated, "status state")
            try expect(status.createdAt > 0, "created_at is 0")
            try expectEqual(status.startedAt, 0, "started_at of a created container")
            let byPod = try await harness.listContainers { $0.podSandboxID = pod.id }.map(\.id)
            try expectEqual(byPod, [id], "containers listed with the pod's id")
        }
    }

    static let startRunning = Check("containers/start gives RUNNING") { harness in
        try await harness.withPod("start") { pod in
            let id = try await pod.run("c")
            let status = try await harness.containerStatus(id)
            try expectEqual(status.state, .containerRunning, "state after StartContainer")
            try expect(status.startedAt >= status.createdAt && status.startedAt > 0, "started_at \(status.startedAt) vs created_at \(status.createdAt)")
            let listed = try await harness.listContainers { $0.state.state = .containerRunning }.map(\.id)
            try expect(listed.contains(id), "not listed with state RUNNING")
        }
    }

    static let stopWithTimeout = Check("containers/stop with a timeout kills a container ignoring SIGTERM") { harness in
        try await harness.withPod("stop") { pod in
            let id = try await pod.run("c", command: ["sh", "-c", "trap '' TERM; sleep 600"])
            // Let the shell set its trap before the signal comes.
            try await Task.sleep(for: .milliseconds(500))
            let clock = ContinuousClock()
            let start = clock.now
            try await harness.stopContainer(id, timeout: 2)
            let status = try await harness.waitFor(id, .containerExited, within: .seconds(6))
            let took = clock.now - start
            try expect(took >= .milliseconds(1500), "EXITED after \(took): the 2 s grace period was not given")
            try expect(took <= .seconds(7), "EXITED only after \(took), want about 2 s")
            try expectEqual(status.exitCode, 137, "exit code after SIGKILL")
            try expect(status.finishedAt >= status.startedAt, "finished_at before started_at")
        }
    }

    static let removeCreated = Check("containers/remove a created container") { harness in
        try await removeCheck(harness, start: false, exit: false)
    }

    static let removeRunning = Check("containers/remove a running container") { harness in
        try await removeCheck(harness, start: true, exit: false)
    }

    static let removeExited = Check("containers/remove an exited container") { harness in
        try await removeCheck(harness, start: true, exit: true)
    }

    private static func removeCheck(_ harness: Harness, start: Bool, exit: Bool) async throws {
        try await harness.withPod("remove") { pod in
            let id = try await pod.create("c", command: exit ? ["true"] : ["sleep", "3600"])
            if start { try await harness.start(id) }
            if exit { try await harness.waitFor(id, .containerExited, within: .seconds(30)) }
            try await harness.removeContainer(id)
            _ = try await expectError([.notFound], "ContainerStatus of a removed container") { try await harness.containerStatus(id) }
            try expect(try await harness.listContainers().allSatisfy { $0.id != id }, "removed container still listed")
        }
    }

    static let metadataEchoed = Check("containers/metadata, labels and annotations echoed by status and list") { harness in
        let labels = ["app": "berth-conformance", "tier": uniqueName("t")]
        let annotations = ["berth.test/note": "a value with spaces", "berth.test/empty": ""]
        try await harness.withPod("meta") { pod in
            var config = pod.containerConfig("meta")
            config.metadata.attempt = 2
            config.labels = labels
            config.annotations = annotations
            let id = try await pod.create(config)
            let status = try await harness.containerStatus(id)
            try expectEqual(status.metadata, config.metadata, "status metadata")
            try expectEqual(status.labels, labels, "status labels")
            try expectEqual(status.annotations, annotations, "status annotations")
            try expectEqual(status.image.image, config.image.image, "status image")
            let listed = try await harness.listContainers { $0.id = id }
            try expectEqual(listed.count, 1, "containers listed with id \(id)")
            try expectEqual(listed[0].metadata, config.metadata, "listed metadata")
            try expectEqual(listed[0].labels, labels, "listed labels")
            try expectEqual(listed[0].annotations, annotations, "listed annotations")
        }
    }

    static let imageDefaults = Check("containers/no command runs the image's entrypoint and cmd") { harness in
        try await harness.withPod("defaults") { pod in
            let config = pod.containerConfig("defaults", command: nil)
            let id = try await pod.create(config)
            try await harness.start(id)
            let status = try await harness.waitFor(id, .containerExited, within: .seconds(30))
            try expectEqual(status.exitCode, 0, "exit code of /probe ids")
            let lines = try LogFile.records(pod.logFile(config)).filter { $0.stream == "stdout" }.map(\.message)
            try expectEqual(lines, ["uid=0 euid=0 gid=0 egid=0"], "stdout of the image's ENTRYPOINT [/probe] CMD [ids]")
        }
    }

    static let imageEntrypointWithArgs = Check("containers/args alone replace the image's cmd, not its entrypoint") { harness in
        try await harness.withPod("args") { pod in
            var config = pod.containerConfig("args", command: nil)
            config.args = ["syscall", "nonsense"]
            let id = try await pod.create(config)
            try await harness.start(id)
            let status = try await harness.waitFor(id, .containerExited, within: .seconds(30))
            // `/probe syscall nonsense` is a usage error: exit 2.
            try expectEqual(status.exitCode, 2, "exit code of /probe syscall nonsense")
            let stderr = try LogFile.records(pod.logFile(config)).filter { $0.stream == "stderr" }.map(\.message)
            try expectEqual(stderr, ["probe: unknown system call nonsense"], "stderr")
        }
    }

    static let exitCompleted = Check("containers/exit 0 is reason Completed") { harness in
        try await harness.withPod("exit0") { pod in
            let status = try await pod.runToExit("c", command: ["sh", "-c", "sleep 1; exit 0"])
            try expectEqual(status.exitCode, 0, "exit code")
            try expectEqual(status.reason, "Completed", "reason")
            try expectTimes(status)
        }
    }

    static let exitError = Check("containers/exit 3 is reason Error with exit code 3") { harness in
        try await harness.withPod("exit3") { pod in
            let status = try await pod.runToExit("c", command: ["sh", "-c", "sleep 1; exit 3"])
            try expectEqual(status.exitCode, 3, "exit code")
            try expectEqual(status.reason, "Error", "reason")
            try expectTimes(status)
        }
    }

    private static func expectTimes(_ status: Runtime_V1_ContainerStatus) throws {
        try expect(status.createdAt > 0, "created_at is 0")
        try expect(status.startedAt >= status.createdAt, "started_at \(status.startedAt) before created_at \(status.createdAt)")
        // The command sleeps 1 s, so a second must lie between start and finish.
        try expect(
            status.finishedAt - status.startedAt >= 900_000_000,
            "finished_at \(status.finishedAt) is not ~1 s after started_at \(status.startedAt)")
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        try expect(status.finishedAt <= now + 1_000_000_000, "finished_at \(status.finishedAt) is in the future (now \(now))")
    }

    static let execSyncExact = Check("containers/ExecSync returns stdout, stderr and exit code exactly") { harness in
        try await harness.withPod("exec") { pod in
            let id = try await pod.run("c")
            let response = try await harness.execSync(id, ["sh", "-c", "printf 'out 1\\nout 2\\n'; printf 'err' >&2; exit 7"])
            try expectEqual(String(decoding: response.stdout, as: UTF8.self), "out 1\nout 2\n", "stdout")
            try expectEqual(String(decoding: response.stderr, as: UTF8.self), "err", "stderr")
            try expectEqual(response.exitCode, 7, "exit code")
            let empty = try await harness.execSync(id, ["true"])
            try expect(empty.stdout.isEmpty && empty.stderr.isEmpty && empty.exitCode == 0, "exec true: \(empty)")
        }
    }

    static let execSyncTimeout = Check("containers/ExecSync past its timeout fails and leaves no process") { harness in
        try await harness.withPod("exec-timeout") { pod in
            let id = try await pod.run("c", command: ["sleep", "3600"])
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await expectError([.deadlineExceeded], "ExecSync sleep 60 with timeout 1") {
                try await harness.execSync(id, ["sleep", "60"], timeout: 1)
            }
            let took = clock.now - start
            try expect(took < .seconds(10), "the timed-out ExecSync took \(took)")
            // The process must be gone, not left running in the container.
            var left: [String] = []
            for _ in 0..<20 {
                let processes = try await harness.output(id, ["ps", "-o", "args"]).split(separator: "\n")
                left = processes.map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 == "sleep 60" }
                if left.isEmpty { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            try expect(left.isEmpty, "\"sleep 60\" still running in the container 4 s after its ExecSync timed out")
            try expectEqual(try await harness.containerStatus(id).state, .containerRunning, "container state")
        }
    }

    static let containerStats = Check("containers/ContainerStats of a running container") { harness in
        try await harness.withPod("stats") { pod in
            let id = try await pod.run("c")
            var request = Runtime_V1_ContainerStatsRequest()
            request.containerID = id
            let stats = try await harness.call(Method.runtime("ContainerStats"), request, as: Runtime_V1_ContainerStatsResponse.self).stats
            try expectStats(stats, id: id, name: "c")
        }
    }

    static let listStatsById = Check("containers/ListContainerStats filtered by id") { harness in
        try await harness.withPod("stats-id") { pod in
            let a = try await pod.run("a")
            _ = try await pod.run("b")
            let stats = try await listStats(harness) { $0.id = a }
            try expectEqual(stats.map(\.attributes.id), [a], "stats listed with filter id")
            try expectStats(stats[0], id: a, name: "a")
        }
    }

    static let listStatsAll = Check("containers/ListContainerStats without a filter lists every container") { harness in
        try await harness.withPod("stats-all") { pod in
            let ids = [try await pod.run("a"), try await pod.run("b"), try await pod.run("c")]
            let stats = try await listStats(harness, nil)
            for (id, name) in zip(ids, ["a", "b", "c"]) {
                let mine = stats.filter { $0.attributes.id == id }
                try expectEqual(mine.count, 1, "stats entries for \(name) (\(id))")
                try expectStats(mine[0], id: id, name: name)
            }
        }
    }

    static let listStatsByLabel = Check("containers/ListContainerStats filtered by label selector") { harness in
        let run = uniqueName("run")
        try await harness.withPod("stats-label") { pod in
            let a = try await pod.run("a") { $0.labels = ["berth.test/run": run, "role": "a"] }
            let b = try await pod.run("b") { $0.labels = ["berth.test/run": run, "role": "b"] }
            let both = try await listStats(harness) { $0.labelSelector = ["berth.test/run": run] }
            try expectEqual(Set(both.map(\.attributes.id)), [a, b], "stats with berth.test/run=\(run)")
            let onlyB = try await listStats(harness) { $0.labelSelector = ["berth.test/run": run, "role": "b"] }
            try expectEqual(onlyB.map(\.attributes.id), [b], "stats with role=b")
            let byPod = try await listStats(harness) { $0.podSandboxID = pod.id }
            try expectEqual(Set(byPod.map(\.attributes.id)), [a, b], "stats with the pod's id")
        }
    }

    static let podSandboxStats = Check("containers/PodSandboxStats of a running pod") { harness in
        try await harness.withPod("pod-stats") { pod in
            let id = try await pod.run("c")
            var request = Runtime_V1_PodSandboxStatsRequest()
            request.podSandboxID = pod.id
            let stats = try await harness.call(
                Method.runtime("PodSandboxStats"), request, as: Runtime_V1_PodSandboxStatsResponse.self).stats
            try expectEqual(stats.attributes.id, pod.id, "attributes id")
            try expectEqual(stats.attributes.metadata, pod.config.metadata, "attributes metadata")
            try expect(stats.hasLinux, "no linux stats")
            try expect(stats.linux.cpu.timestamp > 0, "cpu timestamp is 0")
            try expect(stats.linux.memory.timestamp > 0, "memory timestamp is 0")
            let containers = stats.linux.containers.map(\.attributes.id)
            try expectEqual(containers, [id], "containers in the pod's stats")
            var list = Runtime_V1_ListPodSandboxStatsRequest()
            list.filter.id = pod.id
            let listed = try await harness.call(
                Method.runtime("ListPodSandboxStats"), list, as: Runtime_V1_ListPodSandboxStatsResponse.self).stats
            try expectEqual(listed.map(\.attributes.id), [pod.id], "ListPodSandboxStats filtered by id")
        }
    }

    static func listStats(
        _ harness: Harness, _ filter: ((inout Runtime_V1_ContainerStatsFilter) -> Void)?
    ) async throws -> [Runtime_V1_ContainerStats] {
        var request = Runtime_V1_ListContainerStatsRequest()
        if let filter {
            var value = Runtime_V1_ContainerStatsFilter()
            filter(&value)
            request.filter = value
        }
        return try await harness.call(
            Method.runtime("ListContainerStats"), request, as: Runtime_V1_ListContainerStatsResponse.self).stats
    }

    static func expectStats(_ stats: Runtime_V1_ContainerStats, id: String, name: String) throws {
        try expectEqual(stats.attributes.id, id, "stats attributes id")
        try expectEqual(stats.attributes.metadata.name, name, "stats attributes name")
        try expect(stats.hasCpu && stats.cpu.timestamp > 0, "cpu timestamp of \(name) is 0")
        try expect(stats.hasMemory && stats.memory.timestamp > 0, "memory timestamp of \(name) is 0")
    }

    static let duplicateName = Check("containers/same name and attempt twice in a pod is already_exists") { harness in
        try await harness.withPod("duplicate") { pod in
            let config = pod.containerConfig("twin")
            let first = try await pod.create(config)
            _ = try await expectError([.alreadyExists], "second CreateContainer with the same metadata") { try await pod.create(config) }
            let named = try await harness.listContainers { $0.podSandboxID = pod.id }.map(\.id)
            try expectEqual(named, [first], "containers in the pod")
            var next = config
            next.metadata.attempt = 1
            _ = try await pod.create(next)
        }
    }
}

extension ContainerChecks {
    /// Needs no pod network: the pod's loopback is shared by its containers.
    static let sharedNetwork = Check("containers/containers of a pod share its network: one serves HTTP, another reaches it on 127.0.0.1") { harness in
        try await harness.withPod("shared-net") { pod in
            let token = uniqueName("served")
            _ = try await pod.run("server", command: [
                "sh", "-c", "mkdir -p /tmp/www && echo \(token) > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
            ])
            let client = try await pod.run("client")
            let deadline = ContinuousClock.now + .seconds(15)
            var reply = ""
            while ContinuousClock.now < deadline {
                reply = try await harness.shell(client, #"printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 127.0.0.1 8080"#).text
                if reply.contains(token) { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            try expect(reply.contains(token), "HTTP GET 127.0.0.1:8080 from the other container: \(reply.debugDescription)")
        }
    }
}
