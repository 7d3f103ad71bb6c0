import BerthBase
import BerthClient
import CRI
import Foundation
import Testing

/// Pods and containers through a real berthd: real namespaces, overlay roots, cgroups and
/// berth-shim monitors.
@Suite(.serialized, .enabled(if: TestEnvironment.ready, TestEnvironment.reason))
struct PodRuntimeTests {
    @Test func lifecycleLogsExecAndNothingLeftBehind() async throws {
        let daemon = try await Berthd.started()
        let logs = "\(daemon.directory)/logs"
        let pod = Pods.sandboxConfig("lifecycle", logDirectory: logs)
        let container = Pods.containerConfig(
            "main", command: ["sh", "-c", "echo started; echo oops >&2; exec sleep 600"], logPath: "main.log")
        let (podID, containerID) = try await Pods.run(daemon, pod: pod, container: container)

        let status = try await daemon.client.containerStatus(containerID).status
        #expect(status.state == .containerRunning)
        #expect(status.logPath == "\(logs)/main.log")
        #expect(await Pods.eventually { (try? String(contentsOfFile: "\(logs)/main.log", encoding: .utf8))?.contains("stderr F oops") == true })
        let log = try String(contentsOfFile: "\(logs)/main.log", encoding: .utf8)
        let first = try #require(log.split(separator: "\n").first { $0.hasSuffix("stdout F started") })
        // RFC 3339 with nanoseconds, in UTC.
        #expect(first.split(separator: " ")[0].count == 30 && first.split(separator: " ")[0].hasSuffix("Z"))

        let exec = try await daemon.client.execSync(containerID, command: ["sh", "-c", "hostname; echo err >&2; exit 3"], execTimeout: 10)
        #expect(String(decoding: exec.stdout, as: UTF8.self) == "lifecycle\n")
        #expect(String(decoding: exec.stderr, as: UTF8.self) == "err\n")
        #expect(exec.exitCode == 3)

        try await daemon.client.stopContainer(containerID, gracePeriod: 5)
        let stopped = try await daemon.client.containerStatus(containerID).status
        #expect(stopped.state == .containerExited)
        #expect(stopped.exitCode == 143)
        #expect(stopped.finishedAt >= stopped.startedAt && stopped.startedAt > stopped.createdAt)

        try await daemon.client.removePodSandbox(podID)
        #expect(try await daemon.client.listContainers().isEmpty)
        #expect(try await daemon.client.listPodSandbox().isEmpty)
        #expect(Pods.mounts(under: daemon.directory).isEmpty)
        #expect(Pods.processes(mentioning: daemon.directory).allSatisfy { $0 == daemon.process?.processIdentifier })
        #expect(FileSystem.list("\(Pods.cgroupMount)/\(daemon.cgroupRoot)").filter { !$0.contains(".") }.isEmpty)
        #expect(FileSystem.list("\(daemon.directory)/state/pods").isEmpty)
        #expect(FileSystem.list("\(daemon.directory)/state/containers").isEmpty)
        #expect(FileSystem.list("\(daemon.root)/containers").isEmpty)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    /// `kill -9 berthd` with containers running: they keep running; the restarted daemon knows
    /// them, learns the exit of one that ended while it was down, and exec, logs and stop work.
    @Test func restartAfterKillKeepsContainers() async throws {
        let daemon = try await Berthd.started()
        let logs = "\(daemon.directory)/logs"
        let pod = Pods.sandboxConfig("restart", logDirectory: logs)
        let ticker = Pods.containerConfig(
            "ticker", command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"], logPath: "ticker.log")
        let (podID, tickerID) = try await Pods.run(daemon, pod: pod, container: ticker)
        let shortLived = Pods.containerConfig("short", command: ["sh", "-c", "sleep 2; exit 3"], logPath: "short.log")
        let shortID = try await daemon.client.createContainer(podSandboxID: podID, config: shortLived, sandboxConfig: pod)
        try await daemon.client.startContainer(shortID)

        daemon.stop(signal: SIGKILL)
        // The short container ends while berthd is down: its monitor records the exit.
        #expect(await Pods.eventually(.seconds(20)) { FileSystem.exists("\(daemon.directory)/state/containers/\(shortID)/exit") })
        try await Task.sleep(for: .milliseconds(500))
        let sizeWhileDown = fileSize("\(logs)/ticker.log")
        try await daemon.start()

        let containers = try await daemon.client.listContainers()
        #expect(Set(containers.map(\.id)) == [tickerID, shortID])
        #expect(try await daemon.client.containerStatus(tickerID).status.state == .containerRunning)
        let short = try await daemon.client.containerStatus(shortID).status
        #expect(short.state == .containerExited)
        #expect(short.exitCode == 3)
        #expect(short.reason == "Error")
        #expect(try await daemon.client.podSandboxStatus(podID).status.state == .sandboxReady)

        let exec = try await daemon.client.execSync(tickerID, command: ["echo", "still here"], execTimeout: 10)
        #expect(String(decoding: exec.stdout, as: UTF8.self) == "still here\n")
        #expect(sizeWhileDown > 0)
        #expect(await Pods.eventually { fileSize("\(logs)/ticker.log") > sizeWhileDown })
        try await daemon.client.stopContainer(tickerID, gracePeriod: 1)
        #expect(try await daemon.client.containerStatus(tickerID).status.state == .containerExited)

        try await daemon.client.removePodSandbox(podID)
        #expect(Pods.mounts(under: daemon.directory).isEmpty)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    /// A hostile workload under the runtime default profile cannot mount, write `/proc/sys` or
    /// `/sys`, or read `/proc/kcore`.
    @Test func defaultProfileContainsAHostileWorkload() async throws {
        let daemon = try await Berthd.started()
        let pod = Pods.sandboxConfig("hostile")
        var container = Pods.containerConfig("main", command: ["sleep", "600"])
        container.linux.securityContext.seccomp.profileType = .runtimeDefault
        let (podID, containerID) = try await Pods.run(daemon, pod: pod, container: container)
        let attempts: [(String, [String])] = [
            ("mount", ["mount", "-t", "tmpfs", "none", "/mnt"]),
            ("write /proc/sys", ["sh", "-c", "echo 1 > /proc/sys/kernel/panic"]),
            ("write /sys", ["sh", "-c", "echo x > /sys/kernel/uevent_helper"]),
            ("read /proc/kcore", ["sh", "-c", "test -s /proc/kcore && head -c 16 /proc/kcore | wc -c | grep -qv '^0'"]),
            ("unshare", ["unshare", "-n", "true"]),
        ]
        for (what, command) in attempts {
            let result = try await daemon.client.execSync(containerID, command: command, execTimeout: 10)
            #expect(result.exitCode != 0, "\(what) succeeded inside the container")
        }
        let status = try await daemon.client.execSync(containerID, command: ["cat", "/proc/self/status"], execTimeout: 10)
        #expect(String(decoding: status.stdout, as: UTF8.self).contains("Seccomp:\t2"))
        try await daemon.client.removePodSandbox(podID)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    /// Bad requests get a clear error and leave nothing: a broken seccomp profile, a missing
    /// image, a duplicate name, an exec past its deadline (whose process is gone after).
    @Test func badRequestsLeaveNothing() async throws {
        let daemon = try await Berthd.started()
        let pod = Pods.sandboxConfig("bad")
        let (podID, containerID) = try await Pods.run(daemon, pod: pod, container: Pods.containerConfig("main", command: ["sleep", "600"]))

        let profile = "\(daemon.directory)/broken.json"
        try FileSystem.atomicWrite(Array(#"{"defaultAction": "SCMP_ACT_NOPE"}"#.utf8), to: profile)
        var broken = Pods.containerConfig("broken", command: ["true"])
        broken.linux.securityContext.seccomp.profileType = .localhost
        broken.linux.securityContext.seccomp.localhostRef = profile
        await #expect(throws: BerthError.self) {
            _ = try await daemon.client.createContainer(podSandboxID: podID, config: broken, sandboxConfig: pod)
        }
        do {
            _ = try await daemon.client.createContainer(podSandboxID: podID, config: broken, sandboxConfig: pod)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("SCMP_ACT_NOPE"))
        }
        let missing = Pods.containerConfig("missing", command: ["true"], image: ref("no-such-image:latest"))
        do {
            _ = try await daemon.client.createContainer(podSandboxID: podID, config: missing, sandboxConfig: pod)
            Issue.record("a container of a missing image was created")
        } catch {
            #expect(error.code == .notFound)
        }
        do {
            _ = try await daemon.client.createContainer(
                podSandboxID: podID, config: Pods.containerConfig("main", command: ["true"]), sandboxConfig: pod)
            Issue.record("a duplicate container name was accepted")
        } catch {
            #expect(error.code == .alreadyExists)
        }
        #expect(try await daemon.client.listContainers().map(\.id) == [containerID])
        #expect(FileSystem.list("\(daemon.root)/containers") == [containerID])

        do {
            _ = try await daemon.client.execSync(containerID, command: ["sh", "-c", "sleep 77 & sleep 88"], execTimeout: 1)
            Issue.record("an exec past its timeout succeeded")
        } catch {
            #expect(error.code == .deadlineExceeded)
        }
        let ps = try await daemon.client.execSync(containerID, command: ["ps", "-o", "args"], execTimeout: 10)
        let processes = String(decoding: ps.stdout, as: UTF8.self)
        #expect(!processes.contains("sleep 77") && !processes.contains("sleep 88"), "\(processes)")

        try await daemon.client.removePodSandbox(podID)
        try await daemon.client.removePodSandbox(podID)
        try await daemon.client.stopContainer(containerID)
        try await daemon.client.removeContainer(containerID)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }
}

private func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

/// What a crash leaves half-done is undone at the next start.
@Suite(.serialized, .enabled(if: TestEnvironment.ready, TestEnvironment.reason))
struct RecoveryTests {
    @Test func halfCreatedAndOrphanedStateIsCleanedAtStart() async throws {
        let daemon = try await Berthd.started()
        let pod = Pods.sandboxConfig("recovery")
        let (podID, runningID) = try await Pods.run(daemon, pod: pod, container: Pods.containerConfig("keep", command: ["sleep", "600"]))
        let halfID = try await daemon.client.createContainer(
            podSandboxID: podID, config: Pods.containerConfig("half", command: ["true"]), sandboxConfig: pod)
        daemon.stop(signal: SIGKILL)

        // As if berthd died inside CreateContainer, and left things no record owns.
        let record = "\(daemon.root)/runtime/containers/\(halfID).json"
        let text = try #require(try FileSystem.read(record)).map { $0 }
        let edited = String(decoding: text, as: UTF8.self).replacingOccurrences(of: "\"phase\":\"created\"", with: "\"phase\":\"creating\"")
        #expect(edited.contains("\"phase\":\"creating\""))
        try FileSystem.atomicWrite(Array(edited.utf8), to: record)
        let orphanBundle = "\(daemon.directory)/state/containers/\(String(repeating: "ab", count: 32))"
        try FileSystem.makeDirectory(orphanBundle)
        let orphanCgroup = "\(Pods.cgroupMount)/\(daemon.cgroupRoot)/\(String(repeating: "cd", count: 32))"
        try FileSystem.makeDirectory(orphanCgroup)

        try await daemon.start()
        #expect(try await daemon.client.listContainers().map(\.id) == [runningID])
        #expect(!FileSystem.exists("\(daemon.root)/containers/\(halfID)"))
        #expect(!FileSystem.exists("\(daemon.directory)/state/containers/\(halfID)"))
        #expect(!FileSystem.exists(orphanBundle))
        #expect(!FileSystem.exists(orphanCgroup))
        #expect(try await daemon.client.containerStatus(runningID).status.state == .containerRunning)

        try await daemon.client.removePodSandbox(podID)
        #expect(Pods.mounts(under: daemon.directory).isEmpty)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }
}
