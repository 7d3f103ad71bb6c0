#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CSpawn
import Spawn

/// One run of a plugin binary: posix_spawn (no Swift between fork and exec) with an empty
/// signal mask and default dispositions, in a process group of its own so a timeout kills
/// whatever it started too; stdin is written and stdout and stderr read with one poll loop,
/// and the whole run is bounded by a deadline.
struct PluginProcess {
    struct Output: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var timedOut: Bool
    }

    static let outputLimit = 4 << 20

    /// Runs `path` with `environment` and `input` on stdin; blocks the calling thread.
    static func run(path: String, arguments: [String], environment: [String], input: [UInt8], timeout: Duration) throws(BerthError) -> Output {
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&stdinPipe) == 0 else { throw BerthError(.internal, "\(path): pipe: \(FileSystem.errnoText())") }
        guard berth_pipe_cloexec(&stdoutPipe) == 0 else {
            closeAll(stdinPipe)
            throw BerthError(.internal, "\(path): pipe: \(FileSystem.errnoText())")
        }
        guard berth_pipe_cloexec(&stderrPipe) == 0 else {
            closeAll(stdinPipe + stdoutPipe)
            throw BerthError(.internal, "\(path): pipe: \(FileSystem.errnoText())")
        }

        let spawned = Result { () throws(BerthError) in
            try Spawn.start(
                path, arguments: arguments, environment: environment,
                descriptors: [stdinPipe[0], stdoutPipe[1], stderrPipe[1]], newProcessGroup: true)
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        let pid: pid_t
        do {
            pid = try spawned.get()
        } catch {
            closeAll([stdinPipe[1], stdoutPipe[0], stderrPipe[0]])
            throw error
        }
        return communicate(pid: pid, stdin: stdinPipe[1], stdout: stdoutPipe[0], stderr: stderrPipe[0], input: input, timeout: timeout)
    }

    private static func communicate(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32, input: [UInt8], timeout: Duration) -> Output {
        let deadline = Int64(monotonicNanoseconds()) + Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        var output = Output(status: -1, stdout: [], stderr: [], timedOut: false)
        var inFd: Int32 = stdin
        var outFd: Int32 = stdout
        var errFd: Int32 = stderr
        _ = fcntl(inFd, F_SETFL, fcntl(inFd, F_GETFL) | O_NONBLOCK)
        var written = 0
        if input.isEmpty {
            close(inFd)
            inFd = -1
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while outFd >= 0 || errFd >= 0 {
            let remaining = deadline - Int64(monotonicNanoseconds())
            if remaining <= 0 {
                output.timedOut = true
                break
            }
            var fds = [
                pollfd(fd: inFd, events: Int16(POLLOUT), revents: 0),
                pollfd(fd: outFd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: errFd, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 3, Int32(min(remaining / 1_000_000 + 1, 1000)))
            if ready < 0 {
                if errno == EINTR { continue }
                output.timedOut = true
                break
            }
            if inFd >= 0, fds[0].revents != 0 {
                let n = input.withUnsafeBytes { write(inFd, $0.baseAddress! + written, $0.count - written) }
                if n > 0 { written += n }
                if n < 0 && errno != EAGAIN && errno != EINTR || written >= input.count {
                    // A plugin that stops reading early (EPIPE) is judged by its output.
                    close(inFd)
                    inFd = -1
                }
            }
            for (slot, isOut) in [(1, true), (2, false)] where fds[slot].revents != 0 {
                let fd = isOut ? outFd : errFd
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 {
                    close(fd)
                    if isOut { outFd = -1 } else { errFd = -1 }
                    continue
                }
                if isOut {
                    if output.stdout.count < outputLimit { output.stdout += buffer[0 ..< n] }
                } else if output.stderr.count < outputLimit {
                    output.stderr += buffer[0 ..< n]
                }
            }
        }
        for fd in [inFd, outFd, errFd] where fd >= 0 { close(fd) }
        if !output.timedOut {
            // Output is closed; the plugin still has until the deadline to exit.
            while true {
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid {
                    output.status = decode(status)
                    return output
                }
                if reaped < 0 && errno != EINTR { return output }
                if Int64(monotonicNanoseconds()) >= deadline {
                    output.timedOut = true
                    break
                }
                usleep(2000)
            }
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        output.status = decode(status)
        return output
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private static func closeAll(_ fds: [Int32]) {
        for fd in fds where fd >= 0 { close(fd) }
    }
}
