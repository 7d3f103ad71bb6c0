import ArgumentParser
import BerthBase
import BerthConfig
import BerthDaemon
import Dispatch
import Foundation
import Logging

/// berthd: the Berth container runtime daemon.
@main
struct Berthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berthd",
        abstract: "The Berth container runtime daemon: CRI over HTTP/1.1 + JSON on a Unix socket.",
        version: "0.1.0"
    )

    @Option(name: .long, help: "Configuration file (TOML). Default: /etc/berth/config.toml when it exists.")
    var config: String?

    @Option(name: .long, help: "Directory for images and persistent state (default /var/lib/berth).")
    var root: String?

    @Option(name: .long, help: "Directory for runtime state (default /run/berth).")
    var state: String?

    @Option(name: .long, help: "Unix socket to listen on (default /run/berth/berth.sock).")
    var socket: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String?

    func run() async throws {
        let settings: Config
        do {
            var loaded = try Config.load(path: config)
            try loaded.apply(overrides: Overrides(root: root, state: state, socket: socket, logLevel: logLevel))
            settings = loaded
        } catch {
            FileHandle.standardError.write(Data("berthd: \(error.message)\n".utf8))
            throw ExitCode(78)
        }
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "berthd")

        let daemon: Daemon
        do {
            daemon = try Daemon(config: settings, logger: logger)
            try await daemon.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error.message)"])
            throw ExitCode.failure
        }
        await waitForTerminationSignal(logger: logger)
        await daemon.shutdown()
    }

    /// Returns on SIGTERM or SIGINT.
    private func waitForTerminationSignal(logger: Logger) async {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = SignalOnce(continuation)
            for number in [SIGTERM, SIGINT] {
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    logger.info("received signal", metadata: ["signal": "\(number)"])
                    once.fire()
                }
                source.resume()
                once.keep(source)
            }
        }
    }
}

/// Resumes the waiting task on the first signal only.
private final class SignalOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }

    func fire() {
        let pending = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { continuation = nil }
            return continuation
        }
        pending?.resume()
    }
}
