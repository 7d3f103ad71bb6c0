#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CSpawn
import Spawn
import Synchronization

/// Starts `berth-shim` with posix_spawn (no Swift runs between fork and exec) and reads
/// its report. The shim gets fds 0-2 (the given ones or /dev/null), the report pipe as
/// fd 3 and nothing else, an empty signal mask and every signal at its default.
public struct ShimLauncher: Sendable {
    public let shimPath: String

    public init(shimPath: String) {
        self.shimPath = shimPath
    }

    /// Writes the plan to `planFile`, runs the shim in the plan's mode and returns its
    /// `ok` report; an `error` report is thrown as the shim's text.
    public func start(_ plan: ShimPlan, planFile: String, stdio: (in: Int32, out: Int32, err: Int32)? = nil) async throws(BerthError) -> ShimReport {
        let report = try await launch(plan, planFile: planFile, stdio: stdio)
        if case .error(let failure) = report { throw failure.error }
        return report
    }

    /// Like `start`, but returns an `error` report instead of throwing it, so the caller
    /// can look at the stage and errno (`ShimFailure.isMissingExecutable`).
    public func launch(_ plan: ShimPlan, planFile: String, stdio: (in: Int32, out: Int32, err: Int32)? = nil) async throws(BerthError) -> ShimReport {
        let shim = try spawn(plan, planFile: planFile, stdio: stdio)
        return try await blocking("berth-shim \(plan.mode.rawValue)") { () throws(BerthError) -> ShimReport in
            let text = Self.readAll(shim.report)
            // Infra and run shims exit once they have reported; an exec shim exits with its
            // process, which is what the caller of launch(exec) waits for here.
            let report = try ShimReport(parsing: text)
            _ = Self.reap(shim.pid)
            return report
        }
    }

    /// Starts an exec-mode shim: returns once the process runs, with its pid (the leader
    /// of its own process group, so `kill(-pid, SIGKILL)` stops it and its children) and a
    /// way to wait for its exit status.
    /// With a tty, `resize` (the read end of a pipe) becomes the shim's fd 4, on which it
    /// takes window sizes as `<cols> <rows>\n` lines.
    public func startExec(_ plan: ShimPlan, planFile: String, stdio: (in: Int32, out: Int32, err: Int32)? = nil, resize: Int32? = nil) async throws(BerthError) -> ExecHandle {
        guard plan.mode == .exec else { throw BerthError(.internal, "startExec: plan mode is \(plan.mode.rawValue), not exec") }
        let shim = try spawn(plan, planFile: planFile, stdio: stdio, resize: resize)
        let report = try await blocking("berth-shim exec") { () throws(BerthError) -> ShimReport in
            let report = try ShimReport(parsing: Self.readAll(shim.report))
            if case .error = report { _ = Self.reap(shim.pid) }
            return report
        }
        switch report {
        case .error(let failure): throw failure.error
        case .ok(let pids): return ExecHandle(pid: pids[0], shimPid: shim.pid)
        }
    }

    private struct Spawned: Sendable {
        var pid: pid_t
        var report: Int32
    }

    private func spawn(_ plan: ShimPlan, planFile: String, stdio: (in: Int32, out: Int32, err: Int32)?, resize: Int32? = nil) throws(BerthError) -> Spawned {
        try FileSystem.atomicWrite(plan.encoded(), to: planFile, mode: 0o600, durable: false)
        var pipeFds: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&pipeFds) == 0 else {
            throw BerthError(.internal, "berth-shim: report pipe: \(FileSystem.errnoText())")
        }
        var null: Int32 = -1
        if stdio == nil {
            null = open("/dev/null", O_RDWR | O_CLOEXEC)
            guard null >= 0 else {
                close(pipeFds[0])
                close(pipeFds[1])
                throw BerthError(.internal, "berth-shim: open /dev/null: \(FileSystem.errnoText())")
            }
        }
        defer {
            close(pipeFds[1])
            if null >= 0 { close(null) }
        }
        let fds = stdio ?? (null, null, null)

        var descriptors = [fds.in, fds.out, fds.err, pipeFds[1]]
        if let resize { descriptors.append(resize) }
        let pid: pid_t
        do {
            pid = try Spawn.start(
                shimPath, arguments: [plan.mode.rawValue, planFile], environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                descriptors: descriptors)
        } catch {
            close(pipeFds[0])
            throw error
        }
        return Spawned(pid: pid, report: pipeFds[0])
    }

    /// Reads a pipe to EOF and closes it. The shim writes one short line.
    static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0 ..< n]
        }
        close(fd)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for a child and returns its status as a shell would: the exit code, or
    /// 128 + the signal.
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// A process started in a running container by an exec-mode shim.
public final class ExecHandle: Sendable {
    /// The host pid of the process: the leader of its own process group.
    public let pid: Int32
    /// The shim waiting for it, which exits with its status.
    public let shimPid: Int32
    private let status = Mutex<Int32?>(nil)

    init(pid: Int32, shimPid: Int32) {
        self.pid = pid
        self.shimPid = shimPid
    }

    /// Waits for the process and returns its exit code, or 128 + the signal that killed it
    /// (125 when the shim itself failed). Later calls return the same status.
    public func wait() async -> Int32 {
        if let known = status.withLock({ $0 }) { return known }
        let shimPid = shimPid
        let code = (try? await runBlocking(name: "berth-shim exec wait") { _ in ShimLauncher.reap(shimPid) }) ?? -1
        return status.withLock { known in
            if let known { return known }
            known = code
            return code
        }
    }
}

private func blocking<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws(BerthError) -> T) async throws(BerthError) -> T {
    do {
        return try await runBlocking(name: name) { _ in try body() }
    } catch let error as BerthError {
        throw error
    } catch {
        throw BerthError.wrapping(error, context: name)
    }
}
