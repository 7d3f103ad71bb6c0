import BerthBase
import CRI
import Foundation
import Glibc
import NativeRuntime
import RuntimeState
import ShimPlan
import StreamProtocol
import Synchronization

/// One upgraded streaming connection as a session sees it: the client's channel messages
/// and a way to send one. `messages` ends when the client closes or goes away.
public struct StreamConnection: Sendable {
    public var messages: AsyncStream<[UInt8]>
    public var send: @Sendable ([UInt8]) async -> Bool

    public init(messages: AsyncStream<[UInt8]>, send: @escaping @Sendable ([UInt8]) async -> Bool) {
        self.messages = messages
        self.send = send
    }

    func send(_ channel: StreamChannel, _ payload: [UInt8]) async {
        _ = await send(ChannelFrame(channel, payload).encoded)
    }

    func finish(_ status: StreamStatus) async {
        await send(.error, status.encoded)
    }
}

extension RuntimeService {
    // MARK: Checks made when the URL is handed out

    /// CRI `Exec`: the request is checked here; the command runs once the URL is used.
    public func checkExec(_ request: Runtime_V1_ExecRequest) async throws(BerthError) {
        guard !request.cmd.isEmpty else { throw BerthError(.invalidArgument, "exec: cmd is empty") }
        guard request.stdin || request.stdout || request.stderr else {
            throw BerthError(.invalidArgument, "exec: one of stdin, stdout and stderr must be set")
        }
        guard !(request.tty && request.stderr) else { throw BerthError(.invalidArgument, "exec: tty and stderr cannot both be set") }
        _ = try await runningContainer(request.containerID)
    }

    public func checkAttach(_ request: Runtime_V1_AttachRequest) async throws(BerthError) {
        guard request.stdin || request.stdout || request.stderr else {
            throw BerthError(.invalidArgument, "attach: one of stdin, stdout and stderr must be set")
        }
        let record = try await runningContainer(request.containerID)
        if request.tty != record.config.message.tty {
            throw BerthError(.invalidArgument, "attach: tty must match the container's (\(record.config.message.tty))")
        }
    }

    public func checkPortForward(_ request: Runtime_V1_PortForwardRequest) async throws(BerthError) {
        _ = try await readySandbox(request.podSandboxID)
        for port in request.port where !(1...65535).contains(port) {
            throw BerthError(.invalidArgument, "port forward: port \(port) out of range")
        }
    }

    private func runningContainer(_ id: String) async throws(BerthError) -> ContainerRecord {
        let record = try await store.findContainer(id)
        guard record.phase == .running, let process = record.initProcess, process.isAlive else {
            throw BerthError(.failedPrecondition, "container \(record.id) is not running")
        }
        return record
    }

    private func readySandbox(_ id: String) async throws(BerthError) -> SandboxRecord {
        let record = try await store.findSandbox(id)
        guard record.phase == .ready, let infra = record.infra, infra.isAlive else {
            throw BerthError(.failedPrecondition, "pod sandbox \(record.id) is not ready")
        }
        return record
    }

    // MARK: Exec

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
        let input = request.stdin ? try Pipe.make() : nil
        let output = try Pipe.make()
        let errors = request.tty ? nil : try Pipe.make()
        let resize = request.tty ? try Pipe.make() : nil
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

    /// Sends what `fd` yields on `channel` (or discards it when the client did not ask for it).
    static func pump(_ fd: Int32, to channel: StreamChannel, _ wanted: Bool, _ connection: StreamConnection, stop: CancellationFlag) async {
        for await chunk in StreamFds.chunks(fd, stop: stop) where wanted {
            await connection.send(channel, chunk)
        }
    }

    // MARK: Attach

    /// Attaches to the container's monitor through `<bundle>/attach.sock`: its output to
    /// channels 1 and 2, channel 0 to its stdin (when it has one), resizes to its terminal.
    /// Ends with Success when the container exits; a client leaving only detaches.
    public func streamAttach(_ request: Runtime_V1_AttachRequest, _ connection: StreamConnection) async {
        do throws(BerthError) {
            try await runAttach(request, connection)
            await connection.finish(.exit(0))
        } catch {
            await connection.finish(StreamStatus(.failure(error.message)))
        }
    }

    private func runAttach(_ request: Runtime_V1_AttachRequest, _ connection: StreamConnection) async throws(BerthError) {
        let record = try await runningContainer(request.containerID)
        let socket = try StreamFds.connectUnix("\(record.bundle)/attach.sock")
        let writer = try StreamFds.duplicate(socket)
        let withStdin = request.stdin && record.config.message.stdin
        guard StreamFds.writeAll(writer, Self.attachFrame(6, Array((withStdin ? "1" : "0").utf8))) else {
            close(writer)
            close(socket)
            throw BerthError(.unavailable, "container \(record.id): its monitor refused the attach")
        }
        let stop = CancellationFlag()
        let reader = Task {
            var pending: [UInt8] = []
            for await chunk in StreamFds.chunks(socket, stop: stop) {
                pending += chunk
                while pending.count >= 5 {
                    let length = pending[1...4].reduce(0) { $0 << 8 | Int($1) }
                    guard pending.count >= 5 + length else { break }
                    let kind = pending[0]
                    let payload = Array(pending[5 ..< 5 + length])
                    pending.removeFirst(5 + length)
                    if kind == 1, request.stdout { await connection.send(.stdout, payload) }
                    if kind == 2, request.stderr { await connection.send(.stderr, payload) }
                }
            }
        }
        let input = Task {
            for await message in connection.messages {
                guard let frame = ChannelFrame(decoding: message) else { continue }
                switch StreamChannel(rawValue: frame.channel) {
                case .stdin where withStdin:
                    _ = await StreamFds.write(writer, Self.attachFrame(0, frame.payload))
                case .resize:
                    if let size = TerminalSize(decoding: frame.payload) {
                        _ = StreamFds.writeAll(writer, Self.attachFrame(4, Array("\(size.width) \(size.height)".utf8)))
                    }
                case .close where frame.payload.first == StreamChannel.stdin.rawValue && withStdin:
                    _ = StreamFds.writeAll(writer, Self.attachFrame(5, []))
                default:
                    break
                }
            }
            // Detached: the monitor sees the socket close (and applies stdin_once).
            shutdown(writer, Int32(SHUT_RDWR))
        }
        await reader.value
        input.cancel()
        shutdown(writer, Int32(SHUT_RDWR))
        close(writer)
    }

    static func attachFrame(_ kind: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [kind, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + payload
    }

    // MARK: Port forward

    /// Relays each requested port: data on channel 2i, errors on 2i+1, both opened with
    /// the port's two little-endian bytes. The connection to 127.0.0.1:port is made inside
    /// the pod's network namespace.
    public func streamPortForward(podSandboxID: String, ports: [UInt16], _ connection: StreamConnection) async {
        let sandbox: SandboxRecord
        do throws(BerthError) {
            sandbox = try await readySandbox(podSandboxID)
        } catch {
            return
        }
        guard let infra = sandbox.infra, !ports.isEmpty else { return }
        var sockets: [Int32?] = []
        for (index, port) in ports.enumerated() {
            let prefix = PortForwardFraming.portPrefix(port)
            _ = await connection.send(ChannelFrame(channel: PortForwardFraming.dataChannel(index), payload: prefix).encoded)
            _ = await connection.send(ChannelFrame(channel: PortForwardFraming.errorChannel(index), payload: prefix).encoded)
            do throws(BerthError) {
                sockets.append(try await StreamFds.connectInNetworkNamespace(pid: infra.pid, port: port))
            } catch {
                sockets.append(nil)
                _ = await connection.send(ChannelFrame(channel: PortForwardFraming.errorChannel(index), payload: Array(error.message.utf8)).encoded)
            }
        }
        let writers: [Int32?] = sockets.map { fd in fd.flatMap { try? StreamFds.duplicate($0) } }
        let stop = CancellationFlag()
        let readers = sockets.enumerated().map { index, fd in
            Task {
                guard let fd else { return }
                for await chunk in StreamFds.chunks(fd, stop: stop) {
                    _ = await connection.send(ChannelFrame(channel: PortForwardFraming.dataChannel(index), payload: chunk).encoded)
                }
            }
        }
        let input = Task {
            for await message in connection.messages {
                guard let frame = ChannelFrame(decoding: message), frame.channel % 2 == 0 else { continue }
                let index = Int(frame.channel / 2)
                guard index < writers.count, let fd = writers[index] else { continue }
                _ = await StreamFds.write(fd, frame.payload)
            }
            for fd in writers.compactMap({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        // Ends when every target connection has closed (or the client left, which closes them).
        for reader in readers { await reader.value }
        input.cancel()
        for fd in writers.compactMap({ $0 }) {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }
}
