import BerthBase
import Glibc
import Spawn

/// Runs host tools (apt-get, dpkg-deb, mkfs.erofs, ldd) to completion under a deadline: the
/// tool is killed, with its whole process group, when the deadline passes.
public enum Command {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs `path` with `arguments`; returns its exit status (128+signal when killed by one)
    /// and what it wrote.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String] = Command.defaultEnvironment, deadline: Duration
    ) throws(BerthError) -> Result {
        let command = ([path] + arguments).joined(separator: " ")
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        // Spawn closes every descriptor past the ones it is given, so the child gets no other.
        guard pipe(&outPipe) == 0 else { throw BerthError(.internal, "\(command): pipe: \(FileSystem.errnoText())") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw BerthError(.internal, "\(command): pipe: \(FileSystem.errnoText())")
        }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devNull) }
        let pid: pid_t
        do {
            pid = try Spawn.start(path, arguments: arguments, environment: environment,
                                  descriptors: [devNull, outPipe[1], errPipe[1]], newProcessGroup: true)
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw error
        }
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        let end = ContinuousClock.now + deadline
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var open = [outPipe[0], errPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let remaining = end - ContinuousClock.now
            if remaining <= .zero {
                kill(-pid, SIGKILL)
                _ = Process.reap(pid)
                throw BerthError(.deadlineExceeded, "\(command): still running after \(deadline), killed")
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Process.milliseconds(remaining))
            if ready < 0 && errno != EINTR {
                kill(-pid, SIGKILL)
                _ = Process.reap(pid)
                throw BerthError(.internal, "\(command): poll: \(FileSystem.errnoText())")
            }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    if entry.fd == outPipe[0] { stdout += buffer[0..<count] } else { stderr += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        // Both pipes closed: the tool is exiting, or left a child holding none of them.
        let status = Process.wait(pid, until: end) ?? {
            kill(-pid, SIGKILL)
            return Process.reap(pid)
        }()
        kill(-pid, SIGKILL)  // whatever the tool left behind in its group
        return Result(status: status, stdout: stdout, stderr: stderr)
    }

    /// Runs a tool and fails unless it exits 0, naming the tool and its last line of errors.
    @discardableResult
    public static func check(_ path: String, _ arguments: [String], deadline: Duration) throws(BerthError) -> Result {
        let result = try run(path, arguments, deadline: deadline)
        guard result.status == 0 else {
            let last = result.stderrText.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no error output"
            throw BerthError(.internal, "\(([path] + arguments).joined(separator: " ")): exit status \(result.status): \(last)")
        }
        return result
    }

    public static let defaultEnvironment = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive",
    ]
}

/// Waiting for and reaping child processes without ever blocking past a deadline.
enum Process {
    /// Exit status (128+signal when killed) once `pid` exits, or nil when `end` passes first.
    static func wait(_ pid: pid_t, until end: ContinuousClock.Instant) -> Int32? {
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return decode(status) }
            if result < 0 && errno != EINTR { return -1 }
            if ContinuousClock.now >= end { return nil }
            usleep(10_000)
        }
    }

    /// Blocks until `pid` (already sent SIGKILL) is gone, and returns its status.
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return decode(status)
    }

    static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1))
    }
}
