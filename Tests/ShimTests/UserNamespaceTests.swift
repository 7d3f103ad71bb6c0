#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import ShimPlan
import Testing
import TestSupport

/// A pod with its own user namespace: the infra makes it (container 0 → host 100000), owns
/// the pod's other namespaces through it, and containers and execs join it last.
@Suite(.serialized, .enabled(if: isRoot, "needs root: user namespaces, mounts, cgroups"))
struct UserNamespaceTests {
    static let map = ShimPlan.IDMap(containerID: 0, hostID: 100000, size: 65536)

    /// Starts an infra with a new user namespace and the pod's net, ipc, uts and pid.
    func startInfra(_ fixture: Fixture) async throws -> Int32 {
        var infra = ShimPlan(mode: .infra)
        infra.namespaces = [.init(.user), .init(.net), .init(.ipc), .init(.uts), .init(.pid)]
        infra.uidMappings = [Self.map]
        infra.gidMappings = [Self.map]
        infra.cgroup = fixture.cgroup
        infra.hostname = "userns-pod"
        // An ipc and a net sysctl: their files belong to the pod's root only when the
        // namespaces were made after the maps were written.
        infra.sysctls = [.init(path: "kernel/shm_rmid_forced", value: "1"),
                         .init(path: "net/ipv4/ip_unprivileged_port_start", value: "80")]
        infra.oomScoreAdj = -998
        infra.stateFile = fixture.file("infra-state")
        return try #require(try await shim().start(infra, planFile: fixture.file("infra-plan")).pids.first)
    }

    /// The pod's namespaces of the infra, by kind, for a plan.
    func podNamespaces(_ infraPid: Int32, _ kinds: [ShimPlan.NamespaceKind]) -> [ShimPlan.Namespace] {
        kinds.map { .init($0, path: "/proc/\(infraPid)/ns/\($0.rawValue)") }
    }

    @Test func infraOwnsThePodNamespacesThroughItsUserNamespace() async throws {
        let fixture = try Fixture("userns-infra")
        let infraPid = try await startInfra(fixture)
        defer { kill(infraPid, SIGKILL) }
        #expect(words(try String(contentsOfFile: "/proc/\(infraPid)/uid_map", encoding: .utf8)) == ["0", "100000", "65536"])
        #expect(words(try String(contentsOfFile: "/proc/\(infraPid)/gid_map", encoding: .utf8)) == ["0", "100000", "65536"])
        // Written by a privileged parent: setgroups stays allowed.
        #expect(try String(contentsOfFile: "/proc/\(infraPid)/setgroups", encoding: .utf8) == "allow\n")
        let status = try String(contentsOfFile: "/proc/\(infraPid)/status", encoding: .utf8)
        #expect(statusField(status, "Uid") == "100000\t100000\t100000\t100000")
        #expect(statusField(status, "Gid") == "100000\t100000\t100000\t100000")
        #expect(statusField(status, "NSpid") == "\(infraPid)\t1")
        #expect(statusField(status, "CapEff") == "0000000000000000")
        let userns = try namespaceOf(infraPid, "user")
        #expect(userns != (try namespaceOf(getpid(), "user")))
        for kind in ["net", "ipc", "uts", "pid"] {
            #expect(try ownerOf("/proc/\(infraPid)/ns/\(kind)") == userns, "\(kind)")
        }
        #expect(kill(infraPid, SIGTERM) == 0)
        try fixture.expectGone([infraPid])
    }

    @Test func containerAndExecRunAsTheMappedIds() async throws {
        let fixture = try Fixture("userns-run")
        // Host root's own file, unreadable to anyone else: root of the pod is not root here.
        let secret = "\(fixture.rootfs)/secret"
        try Data("host secret\n".utf8).write(to: URL(fileURLWithPath: secret))
        chmod(secret, 0o600)
        let infraPid = try await startInfra(fixture)
        defer { kill(infraPid, SIGKILL) }

        var plan = fixture.runPlan(["sh", "-c", """
            cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; id -g; hostname; \
            cat /proc/sys/kernel/shm_rmid_forced; grep CapEff /proc/self/status; \
            cat /secret 2>/dev/null && echo read-secret || echo no-secret; \
            mount -t tmpfs none /tmp 2>/dev/null && echo mounted || echo no-mount; \
            echo hello > /tmp/made && echo made; grep -q berth-shim /proc/1/status && echo pid1; \
            exec sleep 30
            """], hostname: nil)
        plan.namespaces = [.init(.mnt)] + podNamespaces(infraPid, [.net, .ipc, .uts, .pid, .user])
        plan.user = .init(uid: 0, gid: 0)
        let report = try await shim().start(plan, planFile: fixture.file("plan"))
        let initPid = report.pids[0]
        defer { kill(initPid, SIGKILL) }
        try? waitFor { ((try? fixture.stdout()) ?? "").contains("pid1") }
        let logText = (try? String(contentsOfFile: fixture.log, encoding: .utf8)) ?? ""
        let lines = try fixture.stdout().split(separator: "\n").map(String.init)
        #expect(lines.count == 11, "\(logText)")
        guard lines.count == 11 else { return }
        #expect(words(lines[0]) == ["0", "100000", "65536"])
        #expect(words(lines[1]) == ["0", "100000", "65536"])
        #expect(Array(lines[2...5]) == ["0", "0", "userns-pod", "1"])
        // Every capability, but only inside the pod's user namespace.
        #expect(lines[6].hasPrefix("CapEff:") && lines[6].hasSuffix("ffffffff"))
        #expect(Array(lines[7...]) == ["no-secret", "no-mount", "made", "pid1"])
        let status = try String(contentsOfFile: "/proc/\(initPid)/status", encoding: .utf8)
        #expect(statusField(status, "Uid") == "100000\t100000\t100000\t100000")
        #expect(statusField(status, "Gid") == "100000\t100000\t100000\t100000")
        #expect(try namespaceOf(initPid, "user") == (try namespaceOf(infraPid, "user")))
        // The file it made belongs to the mapped id on the host.
        var made = stat()
        #expect(stat("\(fixture.rootfs)/tmp/made", &made) == 0)
        #expect(made.st_uid == 100000 && made.st_gid == 100000)

        // An exec joins the user namespace too (last, after the mount namespace).
        var exec = ShimPlan(mode: .exec)
        exec.namespaces = podNamespaces(initPid, [.user, .ipc, .uts, .net, .pid, .mnt])
        exec.cgroup = fixture.cgroup
        exec.user = .init(uid: 0, gid: 0)
        exec.env = ["PATH=/bin"]
        exec.args = ["sh", "-c", """
            cat /proc/self/uid_map; id -u; cat /secret 2>/dev/null && echo read-secret || echo no-secret; \
            cat /tmp/made; grep -E '^Uid' /proc/self/status; exit 3
            """]
        let output = Pipe()
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let write = output.fileHandleForWriting.fileDescriptor
        let handle = try await shim().startExec(exec, planFile: fixture.file("exec-plan"), stdio: (null, write, write))
        let execStatus = (try? String(contentsOfFile: "/proc/\(handle.pid)/status", encoding: .utf8)) ?? ""
        try output.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(await handle.wait() == 3)
        let execLines = text.split(separator: "\n").map(String.init)
        #expect(execLines.count == 5, "\(execLines)")
        if execLines.count == 5 {
            #expect(words(execLines[0]) == ["0", "100000", "65536"])
            #expect(Array(execLines[1...3]) == ["0", "no-secret", "hello"])
            #expect(words(execLines[4]) == ["Uid:", "0", "0", "0", "0"])
        }
        if let uid = statusField(execStatus, "Uid") { #expect(uid == "100000\t100000\t100000\t100000") }

        #expect(kill(initPid, SIGKILL) == 0)
        #expect(try fixture.waitExit().signal == 9)
        try fixture.expectGone(report.pids)
        #expect(kill(infraPid, SIGTERM) == 0)
        try fixture.expectGone([infraPid])
        #expect(!fixture.hostMountsMentionRoot)
    }

    @Test func aUidOutsideTheMapIsRefused() async throws {
        let fixture = try Fixture("userns-unmapped")
        let infraPid = try await startInfra(fixture)
        defer { kill(infraPid, SIGKILL) }
        var plan = fixture.runPlan(["true"], hostname: nil)
        plan.namespaces = [.init(.mnt)] + podNamespaces(infraPid, [.net, .ipc, .uts, .pid, .user])
        plan.user = .init(uid: 70000, gid: 0)
        await #expect(throws: BerthError(.internal, "setresuid 70000: EINVAL (Invalid argument)")) {
            _ = try await shim().start(plan, planFile: fixture.file("plan"))
        }
        #expect(kill(infraPid, SIGTERM) == 0)
        try fixture.expectGone([infraPid])
        try waitFor { !fixture.hostMountsMentionRoot }
    }

    @Test func runCannotMakeAUserNamespace() async throws {
        let fixture = try Fixture("userns-new")
        var plan = fixture.runPlan(["true"])
        plan.namespaces.append(.init(.user))
        await #expect(throws: BerthError.self) { _ = try await shim().start(plan, planFile: fixture.file("plan")) }
    }
}

/// Whitespace-separated fields (`/proc/<pid>/uid_map` pads its columns).
func words(_ text: String) -> [String] {
    text.split(whereSeparator: { (character: Character) in character == " " || character == "\t" || character == "\n" })
        .map(String.init)
}

/// `user:[4026531837]` of a process's namespace link.
func namespaceOf(_ pid: Int32, _ kind: String) throws -> String {
    try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")
}

/// The inode of the user namespace owning the namespace at `path` (NS_GET_USERNS).
func ownerOf(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FixtureError("open \(path): \(FileSystem.errnoText())") }
    defer { close(fd) }
    let owner = ioctl(fd, 0xb701)  // NS_GET_USERNS = _IO(0xb7, 0x1)
    guard owner >= 0 else { throw FixtureError("NS_GET_USERNS \(path): \(FileSystem.errnoText())") }
    defer { close(owner) }
    var info = stat()
    guard fstat(owner, &info) == 0 else { throw FixtureError("fstat: \(FileSystem.errnoText())") }
    return "user:[\(info.st_ino)]"
}
