import BerthBase
import Foundation
import ShimPlan
import Testing
import TestSupport

@Suite struct PlanEncodingTests {
    @Test func smallPlanEncodesExactly() {
        var plan = ShimPlan(mode: .exec)
        plan.namespaces = [.init(.net, path: "/proc/7/ns/net"), .init(.pid)]
        plan.user = .init(uid: 1000, gid: 1001, additionalGids: [5, 6])
        plan.args = ["sh", "-c", "echo hi"]
        let text = String(decoding: plan.encoded(), as: UTF8.self)
        #expect(text == "berth-plan 1\nns 18\nnet\0/proc/7/ns/net\nns 4\npid\0\nuser 13\n1000\01001\05,6\ncwd 1\n/\narg 2\nsh\narg 2\n-c\narg 7\necho hi\n")
    }

    @Test func masksAreHexAndModesOctal() {
        var plan = ShimPlan(mode: .run)
        plan.root = .init(path: "/r", propagation: 0x84000, readOnly: true)
        plan.mounts = [.init(source: "tmpfs", destination: "/dev", type: "tmpfs", flags: 0x2, data: "mode=755",
                             propagation: 0x40000, remountFlags: 0x1001, targetKind: .file, recursiveReadOnly: true)]
        plan.devices = [.init(path: "/dev/null", kind: .char, major: 1, minor: 3, mode: 0o666, uid: 2, gid: 3)]
        plan.capabilities = .init(bounding: 0x401, effective: 0x400, permitted: 0x400, inheritable: 0, ambient: 0xff)
        plan.seccompFilter = [1, 2, 3, 4, 5, 6, 7, 8]
        let text = String(decoding: plan.encoded(), as: UTF8.self)
        #expect(text.contains("root 12\n/r\0\0\084000\01\n"))
        #expect(text.contains("mount 45\ntmpfs\0/dev\0tmpfs\02\0mode=755\040000\01001\0file\01\n"))
        #expect(text.contains("device 23\n/dev/null\0c\01\03\0666\02\03\n"))
        #expect(text.contains("caps 16\n401\0400\0400\00\0ff\n"))
        #expect(text.contains("seccomp 8\n\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\n"))
    }

    @Test func everyKeyIsWritten() {
        var plan = ShimPlan(mode: .run)
        plan.namespaces = [.init(.uts)]
        plan.uidMappings = [.init(containerID: 0, hostID: 100000, size: 65536), .init(containerID: 65536, hostID: 7, size: 1)]
        plan.gidMappings = [.init(containerID: 0, hostID: 200000, size: 10)]
        plan.cgroup = "/cg"
        plan.root = .init(path: "/r", overlayData: "lowerdir=a", directory: "/d", propagation: 0)
        plan.symlinks = [.init(target: "/proc/self/fd", path: "/dev/fd")]
        plan.maskedPaths = ["/proc/kcore"]
        plan.readonlyPaths = ["/proc/sys"]
        plan.hostname = "h"
        plan.sysctls = [.init(path: "kernel/shm_rmid_forced", value: "1")]
        plan.rlimits = [.init(resource: 7, soft: 1024, hard: .max)]
        plan.oomScoreAdj = -5
        plan.noNewPrivileges = true
        plan.cwd = "/w"
        plan.env = ["A=1"]
        plan.tty = true
        plan.stdin = true
        plan.logPath = "/l"
        plan.exitFile = "/e"
        plan.stateFile = "/s"
        plan.memoryEvents = "/m"
        let text = String(decoding: plan.encoded(), as: UTF8.self)
        #expect(text.contains("ns 4\nuts\0\nuid-map 14\n0\0100000\065536\nuid-map 9\n65536\07\01\ngid-map 11\n0\0200000\010\n"))
        for record in ["ns 4\nuts\0\n", "cgroup 3\n/cg\n", "root 20\n/r\0lowerdir=a\0/d\00\00\n",
                       "symlink 21\n/proc/self/fd\0/dev/fd\n", "masked 11\n/proc/kcore\n", "readonly 9\n/proc/sys\n",
                       "hostname 1\nh\n", "sysctl 24\nkernel/shm_rmid_forced\01\n",
                       "rlimit 27\n7\01024\018446744073709551615\n", "oom-score-adj 2\n-5\n", "no-new-privs 1\n1\n",
                       "cwd 2\n/w\n", "env 3\nA=1\n", "tty 1\n1\n", "stdin 1\n1\n", "log 2\n/l\n", "exit-file 2\n/e\n",
                       "state-file 2\n/s\n", "memory-events 2\n/m\n"] {
            #expect(text.contains(record), "\(record.debugDescription)")
        }
    }
}

@Suite struct ReportTests {
    @Test func okReports() throws {
        #expect(try ShimReport(parsing: "ok 42\n") == .ok(pids: [42]))
        #expect(try ShimReport(parsing: "ok 42 43\n").pids == [42, 43])
        #expect(throws: BerthError.self) { try ShimReport(parsing: "ok\n") }
        #expect(throws: BerthError.self) { try ShimReport(parsing: "") }
        #expect(throws: BerthError.self) { try ShimReport(parsing: "hello\n") }
    }

    @Test func errorReportsKeepStageAndErrno() throws {
        guard case .error(let mount) = try ShimReport(parsing: "error mount /proc: EPERM (Operation not permitted)\n") else {
            Issue.record("not an error")
            return
        }
        #expect(mount.stage == "mount /proc")
        #expect(mount.errnoName == "EPERM")
        #expect(mount.errnoText == "Operation not permitted")
        #expect(!mount.isMissingExecutable)
        #expect(mount.error == BerthError(.internal, "mount /proc: EPERM (Operation not permitted)"))

        guard case .error(let exec) = try ShimReport(parsing: "error exec /bin/foo: ENOENT (No such file or directory)\n") else {
            Issue.record("not an error")
            return
        }
        #expect(exec.stage == "exec /bin/foo")
        #expect(exec.isMissingExecutable)
        #expect(exec.error.code == .failedPrecondition)

        guard case .error(let plan) = try ShimReport(parsing: "error plan: line 3: unknown key \"bogus\"\n") else {
            Issue.record("not an error")
            return
        }
        #expect(plan.stage == "plan: line 3: unknown key \"bogus\"")
        #expect(plan.errnoName == nil)
    }

    @Test func exitAndStateRecords() throws {
        let exit = try ExitRecord(parsing: "code 137\nsignal 9\nstarted 100\nfinished 250\noom 1\n")
        #expect(exit == ExitRecord(code: 137, signal: 9, startedNanos: 100, finishedNanos: 250, oomKilled: true))
        #expect(throws: BerthError.self) { try ExitRecord(parsing: "code 1\nsignal 0\n") }
        #expect(throws: BerthError.self) { try ExitRecord(parsing: "code x\nsignal 0\nstarted 1\nfinished 2\noom 0\n") }
        #expect(try StateRecord(parsing: "infra 12\n") == StateRecord(infraPid: 12))
        #expect(try StateRecord(parsing: "init 5\nmonitor 4\nstarted 9\n") == StateRecord(initPid: 5, monitorPid: 4, startedNanos: 9))
        #expect(throws: BerthError.self) { try StateRecord(parsing: "monitor 4\n") }
    }
}

/// The C parser refuses malformed plans before doing anything, so these need no root.
@Suite struct PlanParserTests {
    func report(_ plan: String, mode: String = "run") async throws -> String {
        let directory = try TestDirectory(prefix: "berth-shim-plan")
        let file = directory.file("plan")
        try Data(plan.utf8).write(to: URL(fileURLWithPath: file))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try shimBinary.get())
        process.arguments = [mode, file]
        let pipe = Pipe()
        // The shim reports on fd 2 when it has no fd 3.
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: [
        ("berth-plan 1\narg 2\nsh\nbogus 1\nx\n", "error plan: line 4: unknown key \"bogus\"\n"),
        ("berth-plan 1\nroot 3\n/r\0\n", "error plan: line 2: too few fields for \"root\"\n"),
        ("berth-plan 1\nns 5\npid\0\0\n", "error plan: line 2: too many fields for \"ns\"\n"),
        ("berth-plan 1\narg 20\nsh\n", "error plan: line 2: record runs past the end of the plan\n"),
        ("berth-plan 1\narg 2\nsh", "error plan: line 2: record runs past the end of the plan\n"),
        ("berth-plan 1\narg 2\nshX", "error plan: line 2: record not followed by a newline\n"),
        ("berth-plan 1\nrlimit 5\n7\0x\01\n", "error plan: line 2: not a number: \"x\"\n"),
        ("berth-plan 1\narg 2\nsh\n", "error plan: line 4: missing required record \"root\"\n"),
        ("berth-plan 1\nroot 8\n/r\0\0\00\00\n", "error plan: line 4: missing required record \"arg\"\n"),
        ("berth-plan 2\n", "error plan: line 1: missing header \"berth-plan 1\"\n"),
        ("berth-plan 1\narg x\nsh\n", "error plan: line 2: malformed record length\n"),
        ("berth-plan 1\nns 5\nuser\0\nuid-map 5\n0\01\00\n", "error plan: line 4: an id map of size 0\n"),
        ("berth-plan 1\nns 5\nuser\0\ngid-map 14\n0\04294967295\02\n", "error plan: line 4: an id map runs past the last id\n"),
        ("berth-plan 1\nuid-map 3\n0\01\n", "error plan: line 2: too few fields for \"uid-map\"\n"),
        ("berth-plan 1\nuid-map 5\n0\01\0x\n", "error plan: line 2: not a number: \"x\"\n"),
        ("berth-plan 1\nroot 8\n/r\0\0\00\00\nns 5\nuser\0\narg 2\nsh\n",
         "error plan: line 8: a new user namespace is only made in infra mode; join one by path\n"),
    ])
    func malformedPlansAreRefused(plan: String, expected: String) async throws {
        #expect(try await report(plan) == expected)
    }

    @Test func idMapsNeedANewUserNamespace() async throws {
        #expect(try await report("berth-plan 1\nuid-map 5\n0\01\01\n", mode: "infra")
            == "error plan: line 4: id maps without a new user namespace\n")
        #expect(try await report("berth-plan 1\nns 20\nuser\0/proc/1/ns/user\ngid-map 5\n0\01\01\n", mode: "infra")
            == "error plan: line 6: id maps without a new user namespace\n")
    }

    @Test func seccompLengthMustBeWholeInstructions() async throws {
        #expect(try await report("berth-plan 1\nseccomp 3\nabc\n", mode: "exec")
            == "error plan: line 2: seccomp filter length not a positive multiple of 8\n")
    }
}
