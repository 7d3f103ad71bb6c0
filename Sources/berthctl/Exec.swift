import ArgumentParser
import BerthBase
import BerthClient
import CRI
import Foundation

/// `berthctl exec CONTAINER CMD [ARG...]`: runs a command in a container and exits with its
/// exit code. Without `-i`/`-t` the command runs to its end (`ExecSync`) and its output is
/// written as it came back; with them it streams through the URL `Exec` returns.
struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a command in a running container.")

    @ParentCommand var root: Berthctl

    @Flag(name: .shortAndLong, help: "Run the command to its end and then print its output (the only mode so far).")
    var sync = false

    @Option(help: "Seconds the command may run before it is killed (0 for no limit).")
    var timeout: Int64 = 0

    @Flag(name: .shortAndLong, help: "Pass stdin to the command (streams through berthd).")
    var interactive = false

    @Flag(name: [.customShort("t"), .long], help: "Allocate a TTY; the local terminal goes raw and its size follows.")
    var tty = false

    @Argument(help: "The container id, or a unique prefix of it.")
    var container: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        if (interactive || tty) && sync { throw ValidationError("--sync cannot be combined with -i or -t") }
        if command.isEmpty { throw ValidationError("name the command to run after the container") }
        if timeout < 0 { throw ValidationError("--timeout must not be negative") }
    }

    func run() async throws {
        if interactive || tty {
            let code = try await root.withSession { session in
                let id = try await session.resolveContainer(container)
                let request = Runtime_V1_ExecRequest.streamed(id, command, tty: tty, stdin: interactive)
                let response = try await session.call(Method.runtime("Exec"), request, as: Runtime_V1_ExecResponse.self)
                return try await runChannelStream(session, url: response.url, stdin: interactive, tty: tty)
            }
            if code != 0 { throw ExitCode(code) }
            return
        }
        let response = try await root.withSession { session in
            let id = try await session.resolveContainer(container)
            var request = Runtime_V1_ExecSyncRequest()
            request.containerID = id
            request.cmd = command
            request.timeout = timeout
            // The runtime answers once the command ends or is killed at its timeout; the call
            // must outlast that, and has no deadline when the command has none.
            let deadline = timeout > 0 ? BerthClient.deadline(waitingUpTo: timeout, plus: session.timeout) : nil
            return try await session.call(
                Method.runtime("ExecSync"), request, as: Runtime_V1_ExecSyncResponse.self, timeout: .some(deadline))
        }
        FileHandle.standardOutput.write(response.stdout)
        FileHandle.standardError.write(response.stderr)
        if response.exitCode != 0 { throw ExitCode(response.exitCode) }
    }
}
