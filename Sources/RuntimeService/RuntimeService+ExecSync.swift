import BerthBase
import Foundation
import CRI
import ContainerPolicy
import Glibc
import NativeRuntime
import RuntimeSpec
import ShimPlan
import RuntimeState

extension RuntimeService {
    /// The most output ExecSync keeps per stream (the kubelet's message limit).
    static let execOutputLimit = 16 << 20

    /// CRI `ExecSync`: runs a command in a running container with the container's user,
    /// capabilities and seccomp filter, and returns its output and exit code. A command still
    /// running at the timeout is killed, with every process it started, and the call fails
    /// with `deadline_exceeded`.
    public func execSync(_ request: Runtime_V1_ExecSyncRequest) async throws(BerthError) -> Runtime_V1_ExecSyncResponse {
        let record = try await store.findContainer(request.containerID)
        guard !request.cmd.isEmpty else { throw BerthError(.invalidArgument, "exec: cmd is empty") }
        guard record.phase == .running, let process = record.initProcess, process.isAlive else {
            throw BerthError(.failedPrecondition, "container \(record.id) is not running")
        }
        let spec = try loadSpec(bundle: record.bundle)
        let filter = try FileSystem.read("\(record.bundle)/seccomp.bpf")
        let plan = try execPlan(spec: spec, args: request.cmd, initPid: process.pid, seccompFilter: filter)
        let planFile = "\(record.bundle)/exec-\(Identifiers.make().prefix(16)).plan"
        defer { try? FileSystem.removeTree(planFile) }

        let pipes = try Pipe.make(for: [true, true])
        guard let output = pipes[0], let errors = pipes[1] else { throw BerthError(.internal, "exec: no output pipes") }
        let handle: ExecHandle
        do throws(BerthError) {
            handle = try await launcher.startExec(plan, planFile: planFile, stdio: (in: -1, out: output.write, err: errors.write))
        } catch {
            output.closeBoth()
            errors.closeBoth()
            throw BerthError(error.code, "exec in container \(record.id): \(error.message)")
        }
        close(output.write)
        close(errors.write)
        let timeout: Duration? = request.timeout > 0 ? .seconds(request.timeout) : nil
        let collected = try await collect(output: output.read, errors: errors.read, timeout: timeout)
        if collected.timedOut {
            kill(-handle.pid, SIGKILL)
            kill(handle.pid, SIGKILL)
            _ = await handle.wait()
            throw BerthError(
                .deadlineExceeded, "exec in container \(record.id): command timed out after \(request.timeout)s and was killed")
        }
        var response = Runtime_V1_ExecSyncResponse()
        response.stdout = collected.stdout
        response.stderr = collected.stderr
        response.exitCode = await handle.wait()
        return response
    }

    /// An exec plan: the container's process settings with `args`, joining every namespace
    /// of the container's first process.
    func execPlan(spec: Spec, args: [String], initPid: Int32, seccompFilter: [UInt8]?) throws(BerthError) -> ShimPlan {
        let inputs = PlanInputs(mode: .exec, cgroupRoot: try requireCgroupMount().path, seccompFilter: seccompFilter)
        var plan = try ShimPlan(spec: spec, inputs: inputs, isFile: FileSystem.isRegularFile)
        var kinds: [ShimPlan.NamespaceKind] = [.ipc, .uts, .net, .pid, .cgroup, .mnt]
        if plan.namespaces.contains(where: { $0.kind == .user }) { kinds.insert(.user, at: 0) }
        plan.namespaces = kinds.map { ShimPlan.Namespace($0, path: "/proc/\(initPid)/ns/\($0.rawValue)") }
        plan.root = nil
        plan.mounts = []
        plan.devices = []
        plan.symlinks = []
        plan.maskedPaths = []
        plan.readonlyPaths = []
        plan.hostname = nil
        plan.sysctls = []
        plan.args = args
        plan.tty = false
        plan.stdin = false
        plan.memoryEvents = nil
        return plan
    }

    /// Reads both pipes to their end (or until the timeout), on a blocking thread.
    private func collect(output: Int32, errors: Int32, timeout: Duration?) async throws(BerthError) -> CollectedOutput {
        let limit = Self.execOutputLimit
        do {
            return try await runBlocking(name: "berth-exec-io") { _ in
                defer {
                    close(output)
                    close(errors)
                }
                return drainPipes(output: output, errors: errors, timeout: timeout, limit: limit)
            }
        } catch {
            throw BerthError.wrapping(error, context: "exec output")
        }
    }
}

struct CollectedOutput: Sendable {
    var stdout = Data()
    var stderr = Data()
    var timedOut = false
}

/// Polls two pipes until both reach end of file or the deadline passes.
func drainPipes(output: Int32, errors: Int32, timeout: Duration?, limit: Int) -> CollectedOutput {
    var result = CollectedOutput()
    var open: [Int32] = [output, errors]
    let deadline = timeout.map { ContinuousClock.now + $0 }
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty {
        var wait: Int32 = -1
        if let deadline {
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                result.timedOut = true
                return result
            }
            let (seconds, attoseconds) = left.components
            wait = Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, 60_000))
        }
        var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&fds, nfds_t(fds.count), wait)
        if ready < 0 {
            if errno == EINTR { continue }
            return result
        }
        for entry in fds where entry.revents != 0 {
            let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
            if count <= 0 {
                if count < 0 && errno == EINTR { continue }
                open.removeAll { $0 == entry.fd }
                continue
            }
            if entry.fd == output {
                if result.stdout.count < limit { result.stdout.append(contentsOf: buffer[..<min(count, limit - result.stdout.count)]) }
            } else if result.stderr.count < limit {
                result.stderr.append(contentsOf: buffer[..<min(count, limit - result.stderr.count)])
            }
        }
    }
    return result
}
