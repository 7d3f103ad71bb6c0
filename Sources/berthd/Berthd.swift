import BerthBase
import BerthConfig
import BerthDaemon
import Dispatch
import Foundation
import Logging

/// berthd: the Berth container runtime daemon.
@main
enum Berthd {
    static let version = "0.1.0"

    static func main() async {
        let command: DaemonCommand
        do {
            command = try DaemonArguments.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            fail("berthd: \(error.message)\n", status: 64)  // EX_USAGE
        }
        switch command {
        case .help:
            print(DaemonArguments.usage)
        case .version:
            print(version)
        case .run(let configPath, let overrides):
            await run(configPath: configPath, overrides: overrides)
        }
    }

    static func run(configPath: String?, overrides: Overrides) async {
        let settings: Config
        do {
            var loaded = try Config.load(path: configPath)
            try loaded.apply(overrides: overrides)
            settings = loaded
        } catch {
            fail("berthd: \(error.message)\n", status: 78)  // EX_CONFIG
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
            exit(1)
        }
        await waitForTerminationSignal(logger: logger)
        await daemon.shutdown()
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data(message.utf8))
        exit(status)
    }

    /// Returns on SIGTERM or SIGINT.
    private static func waitForTerminationSignal(logger: Logger) async {
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
