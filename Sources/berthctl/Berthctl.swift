import ArgumentParser
import BerthBase
import Foundation

/// `berthctl`: crictl's verbs and flags, spoken to berthd over its Unix socket.
@main
struct Berthctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berthctl",
        abstract: "Inspect and drive a Berth container runtime, crictl style.",
        subcommands: [
            Version.self, Info.self, Events.self, Images.self, ImageGroup.self, Pull.self, Remove.self, Inspect.self, ImageFsInfo.self,
            RunPod.self, StopPod.self, RemovePod.self, Pods.self, InspectPod.self,
            CreateContainer.self, StartContainer.self, StopContainer.self, RemoveContainer.self, Ps.self,
            InspectContainer.self, Logs.self, Exec.self, Attach.self, PortForward.self, Stats.self, PodStats.self, Update.self, Run.self,
        ]
    )

    @Option(
        name: [.customShort("r"), .customLong("socket"), .customLong("runtime-endpoint")],
        help: "Path of berthd's socket (unix:// prefix allowed; default $BERTH_SOCKET or /run/berth/berth.sock)."
    )
    var socket: String?

    @Option(
        name: [.customShort("t"), .long],
        help: "Deadline of each call, e.g. 2s, 500ms, 1m (0 for none; pulls use --pull-timeout)."
    )
    var timeout: Timeout = Timeout(duration: .seconds(10))

    @Flag(name: [.customShort("D"), .long], help: "Print every request and response to stderr.")
    var debug = false

    /// Runs `body` with a session on the socket these options name, closing it afterwards.
    func withSession<T>(_ body: (Session) async throws -> T) async throws -> T {
        let session = Session(
            socketPath: socket.map(Session.socketPath(fromEndpoint:)), timeout: timeout.duration, debug: debug)
        do {
            let result = try await body(session)
            await session.close()
            return result
        } catch {
            await session.close()
            throw error
        }
    }

    /// Runs the parsed command, reporting daemon errors crictl's way: one line on stderr, exit 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as BerthError {
            FileHandle.standardError.write(Data("berthctl: \(error)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// A call deadline given on the command line: `2s`, `500ms`, `1m`, `1h`, or bare seconds.
struct Timeout: ExpressibleByArgument, Sendable, Equatable {
    /// `nil` means no deadline.
    var duration: Duration?

    init(duration: Duration?) {
        self.duration = duration
    }

    init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let unit = units.first { argument.hasSuffix($0.suffix) } ?? ("", 1)
        guard let value = Double(argument.dropLast(unit.suffix.count)), value.isFinite else { return nil }
        let milliseconds = value * unit.seconds * 1000
        duration = milliseconds > 0 ? .milliseconds(Int64(milliseconds.rounded())) : nil
    }

    var defaultValueDescription: String {
        guard let duration else { return "0" }
        return "\(duration.components.seconds)s"
    }
}
