#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import ShimPlan
import TestSupport

/// MS_* flags the plans in these tests use.
enum MS {
    static let rdonly: UInt = 1, nosuid: UInt = 2, nodev: UInt = 4, noexec: UInt = 8
    static let bind: UInt = 4096, rec: UInt = 16384, privateFlag: UInt = 1 << 18, slave: UInt = 1 << 19
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The built shim: `$BERTH_BIN` (the binary or its directory), else `.build/berth-shim`
/// next to the test bundle's `.build`, built with `make shim` when run from the tree.
let shimBinary: Result<String, FixtureError> = {
    if let bin = ProcessInfo.processInfo.environment["BERTH_BIN"], !bin.isEmpty {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: bin, isDirectory: &isDirectory)
        return .success(isDirectory.boolValue ? bin + "/berth-shim" : bin)
    }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    guard let range = exe.range(of: "/.build/") else { return .failure(FixtureError("no .build in \(exe); set BERTH_BIN")) }
    let tree = String(exe[..<range.lowerBound])
    let make = Process()
    make.executableURL = URL(fileURLWithPath: "/usr/bin/make")
    make.arguments = ["-s", "-C", tree, "shim"]
    do {
        try make.run()
        make.waitUntilExit()
    } catch {
        return .failure(FixtureError("make shim: \(error)"))
    }
    guard make.terminationStatus == 0 else { return .failure(FixtureError("make shim failed: \(make.terminationStatus)")) }
    return .success(tree + "/.build/berth-shim")
}()

func shim() throws -> ShimLauncher { ShimLauncher(shimPath: try shimBinary.get()) }

/// The host's cgroup v2 mount point (cgroups may be hybrid: only the unified tree is v2).
func cgroup2Mount() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") {
        let halves = line.components(separatedBy: " - ")
        guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
        let fields = halves[0].split(separator: " ")
        if fields.count > 4 { return String(fields[4]) }
    }
    return nil
}

/// A container's world: a busybox root file system, a cgroup, and files for the shim.
final class Fixture {
    let directory: TestDirectory
    let rootfs: String
    let cgroup: String

    init(_ name: String) throws {
        directory = try TestDirectory(prefix: "berth-shim-\(name)")
        rootfs = directory.file("rootfs")
        for dir in ["bin", "etc", "proc", "dev", "sys", "tmp"] {
            try FileManager.default.createDirectory(atPath: "\(rootfs)/\(dir)", withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: "\(rootfs)/bin/busybox")
        for tool in ["sh", "cat", "echo", "id", "sleep", "ls", "hostname", "mount", "grep", "head", "tr", "printf",
                     "kill", "touch", "test", "tty", "true", "false", "wc", "readlink"] {
            try FileManager.default.createSymbolicLink(atPath: "\(rootfs)/bin/\(tool)", withDestinationPath: "busybox")
        }
        try Data("berth rootfs \(name)\n".utf8).write(to: URL(fileURLWithPath: "\(rootfs)/marker"))
        chmod("\(rootfs)/tmp", 0o1777)
        guard let mount = cgroup2Mount() else { throw FixtureError("no cgroup2 mount") }
        cgroup = "\(mount)/berth-shim-test-\(name)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        guard mkdir(cgroup, 0o755) == 0 else { throw FixtureError("mkdir \(cgroup): \(FileSystem.errnoText())") }
    }

    deinit { removeCgroup() }

    /// rmdir of the cgroup, retried while its last processes are still going away.
    func removeCgroup() {
        for _ in 0 ..< 50 {
            if rmdir(cgroup) == 0 || errno == ENOENT { return }
            usleep(100_000)
        }
    }

    func file(_ name: String) -> String { directory.file(name) }
    var log: String { file("container.log") }
    var exitFile: String { file("exit") }
    var stateFile: String { file("state") }

    /// A run-mode plan: new namespaces, proc and a /dev tmpfs with null and zero,
    /// /proc/kcore masked, /proc/sys read-only.
    func runPlan(_ args: [String], hostname: String? = "berth-test") -> ShimPlan {
        var plan = ShimPlan(mode: .run)
        plan.namespaces = [.init(.mnt), .init(.uts), .init(.ipc), .init(.net), .init(.pid)]
        plan.cgroup = cgroup
        plan.root = .init(path: rootfs, propagation: MS.rec | MS.slave)
        plan.mounts = [
            .init(source: "proc", destination: "/proc", type: "proc", flags: MS.nosuid | MS.nodev | MS.noexec),
            .init(source: "tmpfs", destination: "/dev", type: "tmpfs", flags: MS.nosuid, data: "mode=755,size=64k"),
        ]
        plan.devices = [
            .init(path: "/dev/null", kind: .char, major: 1, minor: 3, mode: 0o666),
            .init(path: "/dev/zero", kind: .char, major: 1, minor: 5, mode: 0o666),
        ]
        plan.maskedPaths = ["/proc/kcore", "/proc/acpi", "/proc/no-such-thing"]
        plan.readonlyPaths = ["/proc/sys", "/proc/no-such-thing"]
        plan.hostname = hostname
        plan.args = args
        plan.env = ["PATH=/bin", "HOME=/"]
        plan.logPath = log
        plan.exitFile = exitFile
        plan.stateFile = stateFile
        plan.memoryEvents = "\(cgroup)/memory.events"
        return plan
    }

    /// Waits for the exit file.
    func waitExit(seconds: Double = 10) throws -> ExitRecord {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let record = try ExitRecord.read(exitFile) { return record }
            usleep(20_000)
        }
        throw FixtureError("no exit file after \(seconds) s")
    }

    /// The log's records as (stream, tag, text), each line checked against the CRI format.
    /// Lines are split on bytes: a tty's "\r\n" is one Swift Character.
    func logRecords(_ path: String? = nil) throws -> [(stream: String, tag: String, text: String)] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path ?? log)))
        guard bytes.isEmpty || bytes.last == 0x0A else { throw FixtureError("log does not end with a newline") }
        let timestamp = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$"#)
        return try bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map { line in
            let fields = line.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            guard fields.count == 4, try timestamp.wholeMatch(in: fields[0]) != nil,
                  ["stdout", "stderr"].contains(fields[1]), ["F", "P"].contains(fields[2]) else {
                throw FixtureError("log line not in CRI format: \(String(decoding: line, as: UTF8.self))")
            }
            return (fields[1], fields[2], fields[3])
        }
    }

    /// The stdout text of full records joined by newlines.
    func stdout(_ path: String? = nil) throws -> String {
        try logRecords(path).filter { $0.stream == "stdout" }.map(\.text).joined(separator: "\n")
    }

    /// Runs a container to its end and returns its exit record.
    func run(_ plan: ShimPlan) async throws -> (report: ShimReport, exit: ExitRecord) {
        let report = try await shim().start(plan, planFile: file("plan"))
        let exit = try waitExit()
        try expectGone(report.pids)
        return (report, exit)
    }

    /// Waits until every pid is gone (or a zombie of a process that is not ours).
    func expectGone(_ pids: [Int32], seconds: Double = 5) throws {
        let deadline = Date().addingTimeInterval(seconds)
        for pid in pids {
            while processAlive(pid) {
                if Date() > deadline { throw FixtureError("process \(pid) still running") }
                usleep(20_000)
            }
        }
    }

    /// Whether the host's mount table mentions this fixture's root.
    var hostMountsMentionRoot: Bool {
        ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").contains(rootfs)
    }
}

/// Alive and not a zombie.
func processAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// A field of /proc/<pid>/status or of status text.
func statusField(_ text: String, _ name: String) -> String? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// A hand-assembled seccomp filter: allow everything.
let allowAllFilter: [UInt8] = sockFilter(0x06, 0, 0, 0x7fff_0000)

/// A filter that refuses sethostname with EPERM on x86_64 and allows the rest.
let denySethostnameFilter: [UInt8] =
    sockFilter(0x20, 0, 0, 4)                       // ld [arch]
    + sockFilter(0x15, 1, 0, 0xc000_003e)           // jeq AUDIT_ARCH_X86_64, skip 1
    + sockFilter(0x06, 0, 0, 0x0000_0000)           // ret KILL
    + sockFilter(0x20, 0, 0, 0)                     // ld [nr]
    + sockFilter(0x15, 0, 1, 170)                   // jeq __NR_sethostname
    + sockFilter(0x06, 0, 0, 0x0005_0000 | 1)       // ret ERRNO(EPERM)
    + sockFilter(0x06, 0, 0, 0x7fff_0000)           // ret ALLOW

/// struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in little-endian.
func sockFilter(_ code: UInt16, _ jt: UInt8, _ jf: UInt8, _ k: UInt32) -> [UInt8] {
    [UInt8(code & 0xff), UInt8(code >> 8), jt, jf, UInt8(k & 0xff), UInt8((k >> 8) & 0xff), UInt8((k >> 16) & 0xff), UInt8(k >> 24)]
}
