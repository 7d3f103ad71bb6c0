#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import ShimPlan
import Testing
import TestSupport

/// An infra process holding a pod's namespaces, containers joining them, and exec.
@Suite(.serialized, .enabled(if: isRoot, "needs root: namespaces, mounts, cgroups"))
struct PodTests {
    @Test func infraHoldsNamespacesThatAContainerJoins() async throws {
        let fixture = try Fixture("pod")
        var infra = ShimPlan(mode: .infra)
        infra.namespaces = [.init(.net), .init(.ipc), .init(.uts), .init(.pid)]
        infra.cgroup = fixture.cgroup
        infra.hostname = "podhost"
        infra.sysctls = [.init(path: "kernel/shm_rmid_forced", value: "1")]
        // Lowering is refused on this machine (no CAP_SYS_RESOURCE): a clamp, not a failure.
        infra.oomScoreAdj = -998
        infra.stateFile = fixture.file("infra-state")
        let infraPid = try #require(try await shim().start(infra, planFile: fixture.file("infra-plan")).pids.first)
        defer { kill(infraPid, SIGKILL) }
        #expect(try StateRecord.read(fixture.file("infra-state")) == StateRecord(infraPid: infraPid))
        let status = try String(contentsOfFile: "/proc/\(infraPid)/status", encoding: .utf8)
        #expect(statusField(status, "NSpid") == "\(infraPid)\t1")
        #expect(statusField(status, "CapEff") == "0000000000000000")
        #expect(try String(contentsOfFile: "\(fixture.cgroup)/cgroup.procs", encoding: .utf8) == "\(infraPid)\n")

        var plan = fixture.runPlan(["sh", "-c", """
            hostname; cat /proc/sys/kernel/shm_rmid_forced; readlink /proc/self/ns/net; \
            echo pid=$$; sleep 0.2 & exit 0
            """], hostname: nil)
        plan.namespaces = [.init(.mnt)] + [ShimPlan.NamespaceKind.net, .ipc, .uts, .pid].map {
            .init($0, path: "/proc/\(infraPid)/ns/\($0.rawValue)")
        }
        let (_, exit) = try await fixture.run(plan)
        #expect(exit.code == 0)
        let lines = try fixture.stdout().split(separator: "\n").map(String.init)
        let infraNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(infraPid)/ns/net")
        #expect(lines.count == 4)
        #expect(lines.first == "podhost")
        #expect(lines.dropFirst().first == "1")
        #expect(lines.contains(infraNet))
        #expect(lines.last != "pid=1")

        // The orphaned sleep was reparented to the infra process, which reaps it.
        try waitFor { children(of: infraPid).isEmpty }
        #expect(processAlive(infraPid))
        #expect(kill(infraPid, SIGTERM) == 0)
        try fixture.expectGone([infraPid])
        #expect(!fixture.hostMountsMentionRoot)
    }

    @Test func execJoinsARunningContainer() async throws {
        let fixture = try Fixture("exec")
        let report = try await shim().start(fixture.runPlan(["sleep", "30"]), planFile: fixture.file("plan"))
        let initPid = report.pids[0]
        defer { kill(initPid, SIGKILL) }
        var exec = ShimPlan(mode: .exec)
        exec.namespaces = [ShimPlan.NamespaceKind.ipc, .uts, .net, .pid, .mnt].map {
            .init($0, path: "/proc/\(initPid)/ns/\($0.rawValue)")
        }
        exec.cgroup = fixture.cgroup
        exec.env = ["PATH=/bin"]
        exec.args = ["sh", "-c", "hostname; cat /marker; cat /proc/1/cmdline; echo; echo pid=$$; exit 7"]

        let output = Pipe()
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let write = output.fileHandleForWriting.fileDescriptor
        let handle = try await shim().startExec(exec, planFile: fixture.file("exec-plan"), stdio: (null, write, write))
        try output.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(await handle.wait() == 7)
        #expect(await handle.wait() == 7)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.first == "berth-test")
        #expect(lines.contains("berth rootfs exec"))
        #expect(lines.contains { $0.hasPrefix("sleep") })
        #expect(lines.last.map { $0.hasPrefix("pid=") && $0 != "pid=\(handle.pid)" } == true)

        // A timeout: the process leads its own group, which is killed as a whole.
        exec.args = ["sh", "-c", "sleep 30; true"]
        let slow = try await shim().startExec(exec, planFile: fixture.file("exec-plan"))
        #expect(getpgid(slow.pid) == slow.pid)
        #expect(kill(-slow.pid, SIGKILL) == 0)
        #expect(await slow.wait() == 137)

        exec.args = ["no-such-program"]
        await #expect(throws: BerthError(.failedPrecondition, "exec no-such-program: ENOENT (No such file or directory)")) {
            _ = try await shim().startExec(exec, planFile: fixture.file("exec-plan"))
        }

        #expect(kill(initPid, SIGKILL) == 0)
        #expect(try fixture.waitExit().signal == 9)
        try fixture.expectGone(report.pids)
        #expect(!fixture.hostMountsMentionRoot)
    }
}

/// Live (non-zombie) or zombie processes whose parent is `pid`.
func children(of pid: Int32) -> [Int32] {
    FileSystem.list("/proc").compactMap(Int32.init).filter { child in
        guard let status = try? String(contentsOfFile: "/proc/\(child)/status", encoding: .utf8) else { return false }
        return statusField(status, "PPid") == String(pid)
    }
}
