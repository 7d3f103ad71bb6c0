import BerthBase
import CRI
import Foundation
import Glibc
import NativeRuntime
import RuntimeState
import ShimPlan
import StreamProtocol
import Synchronization

extension RuntimeService {
    /// CRI `Exec`: the request is checked here; the command runs once the URL is used.
    public func checkExec(_ request: Runtime_V1_ExecRequest) async throws(BerthError) {
        guard !request.cmd.isEmpty else { throw BerthError(.invalidArgument, "exec: cmd is empty") }
        guard request.stdin || request.stdout || request.stderr else {
            throw BerthError(.invalidArgument, "exec: one of stdin, stdout and stderr must be set")
        }
        guard !(request.tty && request.stderr) else { throw BerthError(.invalidArgument, "exec: tty and stderr cannot both be set") }
        _ = try await runningContainer(request.containerID)
    }

    /// Runs the command with the client attached: stdout and stderr (or the terminal) to
    /// channels 1 and 2, channel 0 to its stdin, resizes to the terminal; the exit code ends
    /// it on the status channel. A client that goes away takes the command with it.
    public func streamExec(_ request: Runtime_V1_ExecRequest, _ connection: StreamConnection) async {
        do throws(BerthError) {
            let code = try await runExec(request, connection)
            await connection.finish(.exit(code))
        } catch {
            await connection.finish(StreamStatus(.failure(error.message)))
        }
    }

    private func runExec(_ request: Runtime_V1_ExecRequest, _ connection: StreamConnection) async throws(BerthError) -> Int32 {
        let record = try await runningContainer(request.containerID)
        guard let process = record.initProcess else { throw BerthError(.failedPrecondition, "container \(record.id) is not running") }
        let spec = try loadSpec(bundle: record.bundle)
        let filter = try FileSystem.read("\(record.bundle)/seccomp.bpf")
        var plan = try execPlan(spec: spec, args: request.cmd, initPid: process.pid, seccompFilter: filter)
        plan.tty = request.tty
        let planFile = "\(record.bundle)/exec-\(Identifiers.make().prefix(16)).plan"
        defer { try? FileSystem.removeTree(planFile) }

        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { throw BerthError(.internal, "open /dev/null: \(FileSystem.errnoText())") }
        defer { close(null) }
        let pipes = try Pipe.make(for: [request.stdin, true, !request.tty, request.tty])
        let (input, errors, resize) = (pipes[0], pipes[2], pipes[3])
        guard let output = pipes[1] else { throw BerthError(.internal, "exec: no output pipe") }
        let handle: ExecHandle
        do throws(BerthError) {
            handle = try await launcher.startExec(
                plan, planFile: planFile,
                stdio: (in: input?.read ?? null, out: output.write, err: errors?.write ?? null), resize: resize?.read)
        } catch {
            for pipe in [input, output, errors, resize].compactMap({ $0 }) { pipe.closeBoth() }
            throw BerthError(error.code, "exec in container \(record.id): \(error.message)")
        }
        for fd in [input?.read, output.write, errors?.write, resize?.read].compactMap({ $0 }) { close(fd) }
        logger.debug("exec stream started", metadata: ["container": "\(record.id)", "pid": "\(handle.pid)"])

        let stop = CancellationFlag()
        let stdoutPump = Task { await Self.pump(output.read, to: .stdout, request.stdout, connection, stop: stop) }
        let stderrPump = Task { if let errors { await Self.pump(errors.read, to: .stderr, request.stderr, connection, stop: stop) } }
        let exited = Atomic<Bool>(false)
        let inputTask = Task {
            let stdin = Mutex<Int32?>(input?.write)
            defer { if let fd = stdin.withLock({ $0 }) { close(fd) } }
            for await message in connection.messages {
                guard let frame = ChannelFrame(decoding: message) else { continue }
                switch StreamChannel(rawValue: frame.channel) {
                case .stdin:
                    if let fd = stdin.withLock({ $0 }), !(await StreamFds.write(fd, frame.payload)) {
                        close(fd)
                        stdin.withLock { $0 = nil }
                    }
                case .resize:
                    if let resize, let size = TerminalSize(decoding: frame.payload) {
                        _ = StreamFds.writeAll(resize.write, Array("\(size.width) \(size.height)\n".utf8))
                    }
                case .close where frame.payload.first == StreamChannel.stdin.rawValue:
                    if let fd = stdin.withLock({ $0 }) {
                        close(fd)
                        stdin.withLock { $0 = nil }
                    }
                default:
                    break
                }
            }
            // The client is gone: nobody will see the command's output or end.
            if !exited.load(ordering: .relaxed) {
                kill(-handle.pid, SIGKILL)
                kill(handle.pid, SIGKILL)
            }
        }
        let code = await handle.wait()
        exited.store(true, ordering: .relaxed)
        if let resize { close(resize.write) }
        // Output a background process keeps open is not waited for long.
        let drain = Task {
            try? await Task.sleep(for: .seconds(1))
            stop.cancel()
        }
        await stdoutPump.value
        await stderrPump.value
        drain.cancel()
        inputTask.cancel()
        return code
    }
}
