import BerthBase
import Foundation
import Glibc
import Spawn
import Synchronization

/// How QEMU runs the guest's CPUs.
public enum Accelerator: String, Sendable {
    case kvm, tcg
}

/// How to boot one guest.
public struct MachineConfiguration: Sendable {
    public var image: GuestImage
    public var accelerator: Accelerator
    public var cpus = 2
    public var memoryMiB = 1536
    /// Kernel command line words added after the image's own and the console's.
    public var commandLine: [String] = []
    /// Where the serial console goes; nil keeps it in the machine's temporary directory,
    /// removed at shutdown.
    public var serialLog: String?
    public var qemu = "/usr/bin/qemu-system-x86_64"

    public init(image: GuestImage, accelerator: Accelerator) {
        self.image = image
        self.accelerator = accelerator
    }

    /// QEMU's arguments. A q35 machine with no network device and no display: the serial
    /// console to a file, the system disk read-only on virtio-blk, and the control channel a
    /// virtio-serial port whose host end connects to `controlSocket`.
    public func qemuArguments(serialLog: String, controlSocket: String?) -> [String] {
        var arguments = [
            "-machine", "q35,smbus=off,sata=off",
            "-accel", accelerator == .kvm ? "kvm" : "tcg,thread=multi",
            "-cpu", accelerator == .kvm ? "host" : "max",
            "-smp", String(cpus), "-m", String(memoryMiB),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-chardev", "file,id=serial,path=\(serialLog)", "-serial", "chardev:serial",
            "-kernel", image.kernel, "-initrd", image.initramfs,
            "-append", (["console=ttyS0", "panic=-1", "loglevel=4"] + image.commandLine + commandLine).joined(separator: " "),
        ]
        if let disk = image.systemDisk {
            arguments += [
                "-drive", "file=\(disk),if=none,id=system,format=raw,readonly=on,cache=unsafe",
                "-device", "virtio-blk-pci,drive=system",
            ]
        }
        if let controlSocket {
            arguments += [
                "-device", "virtio-serial-pci,max_ports=2",
                "-chardev", "socket,id=control,path=\(controlSocket)",
                "-device", "virtserialport,chardev=control,name=\(GuestScripts.controlPortName)",
            ]
        }
        return arguments
    }
}

/// A running QEMU guest. Every wait takes a deadline; `shutdown` (or deinit) always kills
/// QEMU's process group, reaps it and removes the temporary directory with its sockets.
public final class GuestMachine {
    public let configuration: MachineConfiguration
    public let serialLog: String
    public let bootStarted: ContinuousClock.Instant
    private let directory: String
    private var pid: pid_t?
    private var listener: Int32 = -1
    private var control: Int32 = -1
    private var lines = LineBuffer()
    private var frames: [String] = []
    /// A command was sent and its EXIT has not come back: the agent will not read a POWEROFF.
    private var commandRunning = false
    public private(set) var exitStatus: Int32?

    /// Starts QEMU. With a system disk, also waits (until `connectDeadline`) for QEMU to
    /// connect the control channel.
    public init(_ configuration: MachineConfiguration, connectDeadline: Duration = .seconds(20)) throws(BerthError) {
        self.configuration = configuration
        var template = Array("/tmp/berth-guest-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BerthError(.internal, "mkdtemp: \(FileSystem.errnoText())") }
        directory = String(cString: made)
        serialLog = configuration.serialLog ?? directory + "/serial.log"
        bootStarted = .now
        do {
            try start(connectDeadline: connectDeadline)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    private func start(connectDeadline: Duration) throws(BerthError) {
        let wantsControl = configuration.image.systemDisk != nil
        let socketPath = directory + "/control.sock"
        if wantsControl { listener = try Self.listen(at: socketPath) }
        unlink(serialLog)
        let output = open(directory + "/qemu.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(output)
            close(input)
        }
        guard output >= 0, input >= 0 else { throw BerthError(.internal, "open qemu log: \(FileSystem.errnoText())") }
        let arguments = configuration.qemuArguments(serialLog: serialLog, controlSocket: wantsControl ? socketPath : nil)
        let started = try Spawn.start(configuration.qemu, arguments: arguments, environment: Command.defaultEnvironment,
                                      descriptors: [input, output, output], newProcessGroup: true)
        pid = started
        LiveMachines.add(started, directory: directory)
        guard wantsControl else { return }
        let end = ContinuousClock.now + connectDeadline
        while true {
            if let status = reapIfExited() {
                throw BerthError(.internal, "qemu exited with status \(status) before connecting its control channel: \(qemuOutput())")
            }
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 50) > 0 {
                control = accept(listener, nil, nil)
                if control >= 0 {
                    _ = fcntl(control, F_SETFD, FD_CLOEXEC)
                    break
                }
            }
            if ContinuousClock.now >= end {
                throw BerthError(.deadlineExceeded, "qemu did not connect its control channel within \(connectDeadline)")
            }
        }
        close(listener)
        listener = -1
        unlink(socketPath)
    }

    /// Waits for the agent's `READY` frame; returns the guest's uptime then.
    public func waitReady(deadline: Duration) throws(BerthError) -> String {
        let end = ContinuousClock.now + deadline
        while true {
            switch try receive(until: end, waitingFor: "the guest agent to be ready") {
            case .ready(let uptime): return uptime
            default: continue
            }
        }
    }

    /// Sends one frame to the agent.
    public func send(_ frame: ControlFrame) throws(BerthError) {
        guard control >= 0 else { throw BerthError(.failedPrecondition, "guest has no control channel") }
        let bytes = try frame.encoded()
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(control, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw BerthError(.unavailable, "send to guest: \(FileSystem.errnoText())")
            }
            offset += written
        }
    }

    /// The next frame from the agent, waiting until `end`. Fails when the deadline passes or
    /// the guest goes away.
    public func receive(until end: ContinuousClock.Instant, waitingFor what: String = "a control frame") throws(BerthError) -> ControlFrame {
        guard control >= 0 else { throw BerthError(.failedPrecondition, "guest has no control channel") }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while frames.isEmpty {
            let remaining = end - ContinuousClock.now
            if remaining <= .zero {
                throw BerthError(.deadlineExceeded, "timed out waiting for \(what); serial console: \(serialTail())")
            }
            var entry = pollfd(fd: control, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, min(Process.milliseconds(remaining), 200))
            if ready > 0 {
                let count = read(control, &buffer, buffer.count)
                if count > 0 {
                    frames += lines.append(buffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    throw BerthError(.unavailable, "guest closed its control channel while waiting for \(what); serial console: \(serialTail())")
                }
            } else if let status = reapIfExited() {
                throw BerthError(.unavailable, "qemu exited with status \(status) while waiting for \(what); serial console: \(serialTail())")
            }
        }
        return try ControlFrame(line: frames.removeFirst())
    }

    /// Runs a shell command in the guest, handing each output line to `output`; returns its
    /// exit status. The whole command must end within `deadline`.
    public func run(_ command: String, deadline: Duration, output: (String) -> Void) throws(BerthError) -> Int32 {
        let end = ContinuousClock.now + deadline
        try send(.run(command))
        commandRunning = true
        while true {
            switch try receive(until: end, waitingFor: "\"\(command)\" to finish") {
            case .output(let line): output(line)
            case .exit(let status):
                commandRunning = false
                return status
            default: continue
            }
        }
    }

    /// Waits until the serial console shows `marker`; false when the deadline passes or QEMU
    /// exits first.
    public func waitForSerial(_ marker: String, deadline: Duration) -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if serialText().contains(marker) { return true }
            if reapIfExited() != nil { return serialText().contains(marker) }
            usleep(20_000)
        }
        return false
    }

    /// Asks the agent to power off (a guest without one powers off by itself), waits up to
    /// `grace` for QEMU to exit, then kills it.
    /// Returns QEMU's exit status. Safe to call more than once.
    @discardableResult
    public func shutdown(grace: Duration = .seconds(10)) -> Int32? {
        if let pid, !commandRunning {
            if control >= 0 { try? send(.powerOff) }
            if let status = Process.wait(pid, until: .now + grace) { finished(pid, status: status) }
        }
        stop()
        return exitStatus
    }

    /// The serial console so far.
    public func serialText() -> String {
        String(decoding: (try? FileSystem.read(serialLog)) ?? [], as: UTF8.self)
    }

    private func serialTail(lines count: Int = 15) -> String {
        let lines = serialText().split(whereSeparator: \.isNewline).suffix(count)
        return lines.isEmpty ? "(empty)" : "\n  " + lines.joined(separator: "\n  ")
    }

    private func qemuOutput() -> String {
        String(decoding: (try? FileSystem.read(directory + "/qemu.log")) ?? [], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func reapIfExited() -> Int32? {
        guard let pid else { return exitStatus }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        finished(pid, status: Process.decode(status))
        return exitStatus
    }

    private func finished(_ pid: pid_t, status: Int32) {
        exitStatus = status
        self.pid = nil
        kill(-pid, SIGKILL)  // anything QEMU left in its group
        LiveMachines.remove(pid)
    }

    private func stop() {
        if let pid {
            kill(-pid, SIGKILL)
            finished(pid, status: Process.reap(pid))
        }
        if control >= 0 { close(control) }
        if listener >= 0 { close(listener) }
        control = -1
        listener = -1
        try? FileSystem.removeTree(directory)
    }

    private static func listen(at path: String) throws(BerthError) -> Int32 {
        let fd = try UnixSocket.make()
        let bound = UnixSocket.bind(fd, path)
        guard bound == 0, Glibc.listen(fd, 1) == 0 else {
            let message = FileSystem.errnoText()
            close(fd)
            throw BerthError(.internal, "listen on \(path): \(message)")
        }
        return fd
    }
}

/// The QEMU process groups alive in this process and their temporary directories, so a
/// signal handler can stop them all.
public enum LiveMachines {
    private static let machines = Mutex<[pid_t: String]>([:])

    static func add(_ pid: pid_t, directory: String) { machines.withLock { $0[pid] = directory } }
    static func remove(_ pid: pid_t) { machines.withLock { _ = $0.removeValue(forKey: pid) } }

    /// Kills and reaps every live QEMU and removes its temporary directory (from a signal
    /// handler's thread, before exiting).
    public static func killAll() {
        let live = machines.withLock { current in
            defer { current = [:] }
            return current
        }
        for (pid, directory) in live {
            kill(-pid, SIGKILL)
            _ = Process.reap(pid)
            try? FileSystem.removeTree(directory)
        }
    }
}
