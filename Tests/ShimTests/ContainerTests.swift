#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import ShimPlan
import Testing
import TestSupport

/// Real containers: namespaces, mounts, cgroups. They need root and run one at a time.
@Suite(.serialized, .enabled(if: isRoot, "needs root: namespaces, mounts, cgroups"))
struct ContainerTests {
    @Test func runWritesTheCRILogAndTheExitFile() async throws {
        let fixture = try Fixture("run")
        let plan = fixture.runPlan(["sh", "-c", "echo hello; echo oops >&2; echo; printf tail; exit 3"])
        let before = Int64(Date().timeIntervalSince1970 * 1e9)
        let (report, exit) = try await fixture.run(plan)
        #expect(report.pids.count == 2)
        #expect(exit.code == 3 && exit.signal == 0 && !exit.oomKilled)
        #expect(exit.startedNanos >= before && exit.finishedNanos >= exit.startedNanos)
        let records = try fixture.logRecords()
        let stdout = records.filter { $0.stream == "stdout" }
        // The last line has no newline: a partial record, as containerd writes it.
        #expect(stdout.map(\.tag) == ["F", "F", "P"])
        #expect(stdout.map(\.text) == ["hello", "", "tail"])
        #expect(records.filter { $0.stream == "stderr" }.map(\.text) == ["oops"])
        let state = try #require(try StateRecord.read(fixture.stateFile))
        #expect(state.initPid == report.pids[0] && state.monitorPid == report.pids[1])
        #expect(state.startedNanos == exit.startedNanos)
        #expect(!fixture.hostMountsMentionRoot)
    }

    @Test func signalDeathIsRecorded() async throws {
        let fixture = try Fixture("signal")
        // No PID namespace: the shell is not an init that ignores signals it has no handler for.
        var plan = fixture.runPlan(["sh", "-c", "kill -TERM $$"])
        plan.namespaces.removeAll { $0.kind == .pid }
        let (_, exit) = try await fixture.run(plan)
        #expect(exit.code == 143 && exit.signal == 15)
    }

    @Test func missingExecutableIsENOENT() async throws {
        let fixture = try Fixture("enoent")
        let report = try await shim().launch(fixture.runPlan(["no-such-program"]), planFile: fixture.file("plan"))
        guard case .error(let failure) = report else {
            Issue.record("started: \(report)")
            return
        }
        #expect(failure.text == "exec no-such-program: ENOENT (No such file or directory)")
        #expect(failure.isMissingExecutable)
        await #expect(throws: BerthError(.failedPrecondition, "exec /bin/nothing: ENOENT (No such file or directory)")) {
            _ = try await shim().start(fixture.runPlan(["/bin/nothing"]), planFile: fixture.file("plan"))
        }
        #expect(!FileSystem.exists(fixture.exitFile))
        #expect(!fixture.hostMountsMentionRoot)
    }

    @Test func badMountNamesTheStage() async throws {
        let fixture = try Fixture("badmount")
        var plan = fixture.runPlan(["true"])
        plan.mounts.append(.init(source: "x", destination: "/bogus", type: "no-such-fs", flags: 0))
        await #expect(throws: BerthError(.internal, "mount /bogus: ENODEV (No such device)")) {
            _ = try await shim().start(plan, planFile: fixture.file("plan"))
        }
    }

    @Test func maskedAndReadOnlyPaths() async throws {
        let fixture = try Fixture("masked")
        // /proc/kcore where the kernel has one; this test machine's kernel has none.
        let maskedFile = FileSystem.exists("/proc/kcore") ? "/proc/kcore" : "/proc/timer_list"
        #expect(try String(contentsOfFile: maskedFile, encoding: .utf8).isEmpty == false || maskedFile == "/proc/kcore")
        var plan = fixture.runPlan(["sh", "-c", """
            echo masked=$(wc -c < \(maskedFile)); \
            grep ' /proc/acpi ' /proc/self/mountinfo; \
            echo 1 > /proc/sys/kernel/shm_rmid_forced || echo sys-readonly; \
            touch /newfile || echo root-readonly
            """])
        plan.maskedPaths.append(maskedFile)
        plan.root?.readOnly = true
        _ = try await fixture.run(plan)
        let lines = try fixture.stdout().split(separator: "\n").map(String.init)
        #expect(lines.contains("masked=0"))
        #expect(lines.contains { $0.contains(" /proc/acpi ro,") && $0.contains(" - tmpfs ") })
        #expect(lines.contains("sys-readonly"))
        #expect(lines.contains("root-readonly"))
        #expect(!FileSystem.exists("\(fixture.rootfs)/newfile"))
    }

    @Test func userCapabilitiesNoNewPrivsAndSeccomp() async throws {
        let fixture = try Fixture("security")
        var plan = fixture.runPlan(["sh", "-c", "id; cat /proc/self/status"])
        plan.user = .init(uid: 1002, gid: 1003, additionalGids: [1004, 1005])
        // CAP_CHOWN and CAP_NET_BIND_SERVICE bounded; NET_BIND_SERVICE everywhere else.
        plan.capabilities = .init(bounding: 0x401, effective: 0x400, permitted: 0x400, inheritable: 0x400, ambient: 0x400)
        plan.noNewPrivileges = true
        plan.seccompFilter = allowAllFilter
        let (_, exit) = try await fixture.run(plan)
        #expect(exit.code == 0)
        let out = try fixture.stdout()
        #expect(out.contains("uid=1002 gid=1003 groups=1004,1005"))
        #expect(statusField(out, "CapBnd") == "0000000000000401")
        #expect(statusField(out, "CapEff") == "0000000000000400")
        #expect(statusField(out, "CapPrm") == "0000000000000400")
        #expect(statusField(out, "CapInh") == "0000000000000400")
        #expect(statusField(out, "CapAmb") == "0000000000000400")
        #expect(statusField(out, "NoNewPrivs") == "1")
        #expect(statusField(out, "Seccomp") == "2")
    }

    @Test func seccompWithoutNoNewPrivsRefusesSethostname() async throws {
        let fixture = try Fixture("seccomp")
        var plan = fixture.runPlan(["sh", "-c", "hostname changed || echo refused; hostname; grep Seccomp: /proc/self/status"])
        plan.seccompFilter = denySethostnameFilter
        _ = try await fixture.run(plan)
        let out = try fixture.stdout()
        #expect(out.contains("refused"))
        #expect(out.contains("berth-test"))
        #expect(out.contains("Seccomp:\t2"))
        #expect(try fixture.logRecords().contains { $0.stream == "stderr" && $0.text.contains("Operation not permitted") })
    }

    @Test func longLinesAreSplitIntoPartialRecords() async throws {
        let fixture = try Fixture("long")
        _ = try await fixture.run(fixture.runPlan(["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' a; echo; echo short"]))
        let records = try fixture.logRecords()
        #expect(records.map(\.tag) == ["P", "P", "F", "F"])
        #expect(records.map(\.text.count) == [16384, 16384, 40000 - 2 * 16384, 5])
    }

    @Test func sigusr1ReopensTheLog() async throws {
        let fixture = try Fixture("rotate")
        let plan = fixture.runPlan(["sh", "-c", "echo one; while ! test -e /tmp/go; do sleep 0.05; done; echo two"])
        let report = try await shim().start(plan, planFile: fixture.file("plan"))
        let monitor = report.pids[1]
        try waitFor { (try? fixture.stdout()) == "one" }
        #expect(rename(fixture.log, fixture.log + ".1") == 0)
        #expect(kill(monitor, SIGUSR1) == 0)
        try waitFor { FileSystem.exists(fixture.log) }
        _ = FileManager.default.createFile(atPath: "\(fixture.rootfs)/tmp/go", contents: nil)
        _ = try fixture.waitExit()
        #expect(try fixture.stdout(fixture.log + ".1") == "one")
        #expect(try fixture.stdout() == "two")
        try fixture.expectGone(report.pids)
    }

    @Test func ttyGivesOneTerminalStream() async throws {
        let fixture = try Fixture("tty")
        var plan = fixture.runPlan(["sh", "-c", "test -t 0 && echo in-tty; test -t 1 && echo out-tty; echo err >&2"])
        plan.tty = true
        plan.stdin = true
        let (_, exit) = try await fixture.run(plan)
        #expect(exit.code == 0)
        let records = try fixture.logRecords()
        // The terminal turns newlines into CR LF; the records keep the CR.
        #expect(records.map(\.text) == ["in-tty\r", "out-tty\r", "err\r"])
        #expect(records.allSatisfy { $0.stream == "stdout" })
    }

    @Test func idleMonitorStaysSmall() async throws {
        let fixture = try Fixture("pss")
        let report = try await shim().start(fixture.runPlan(["sleep", "30"]), planFile: fixture.file("plan"))
        let monitor = report.pids[1]
        let rollup = try String(contentsOfFile: "/proc/\(monitor)/smaps_rollup", encoding: .utf8)
        let pss = try #require(statusField(rollup, "Pss").flatMap { Int($0.split(separator: " ")[0]) })
        print("idle monitor \(monitor): Pss \(pss) kB")
        #expect(pss < 1024)
        #expect(kill(report.pids[0], SIGKILL) == 0)
        let exit = try fixture.waitExit()
        #expect(exit.signal == 9)
        try fixture.expectGone(report.pids)
    }
}

/// Polls `condition` for up to five seconds.
func waitFor(_ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(5)
    while try !condition() {
        if Date() > deadline { throw FixtureError("condition not met in 5 s") }
        usleep(20_000)
    }
}
