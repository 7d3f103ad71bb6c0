import ArgumentParser
import BerthBase
import CRI
import Foundation

/// `berthctl logs CONTAINER`: prints the container's output from the CRI log file its status
/// names. berthctl runs on berthd's node as root, so it reads the file itself, as the kubelet does.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fetch the logs of a container.")

    @ParentCommand var root: Berthctl

    @Flag(name: .shortAndLong, help: "Follow the log until the container stops running.")
    var follow = false

    @Option(help: "Only the last N lines (-1 for all).")
    var tail = -1

    @Option(help: "Only lines since this RFC 3339 time or this long ago (e.g. 10s, 5m, 1h30m).")
    var since: String?

    @Flag(name: [.customShort("t"), .long], help: "Show each line's time.")
    var timestamps = false

    // Options come before the id, as with crictl; this also keeps `-t` from being taken for
    // berthctl's own call deadline.
    @Argument(parsing: .captureForPassthrough, help: "The container id, or a unique prefix of it.")
    var container: [String] = []

    func validate() throws {
        guard container.count == 1 else { throw ValidationError("name exactly one container (options go before it)") }
        if let since { _ = try LogSelection.since(since) }
    }

    func run() async throws {
        var selection = LogSelection(tail: tail)
        if let since { selection.since = try LogSelection.since(since) }
        let timestamps = self.timestamps
        try await root.withSession { session in
            let id = try await session.resolveContainer(container[0])
            let status = try await session.containerStatus(id).status
            guard !status.logPath.isEmpty else {
                throw BerthError(.notFound, "container \(id) has no log file (its status names no logPath)")
            }
            let file = try LogFile(path: status.logPath)
            var reader = LogReader(selection: selection)
            reader.printAll(try reader.initial(file.readRecords()), timestamps: timestamps)
            guard follow else {
                reader.printAll(reader.finish(), timestamps: timestamps)
                return
            }
            var lastCheck = ContinuousClock.now
            var running = status.state == .containerRunning
            while running {
                try await Task.sleep(for: .milliseconds(200))
                if ContinuousClock.now - lastCheck >= .seconds(1) {
                    lastCheck = .now
                    running = (try? await session.containerStatus(id).status.state) == .containerRunning
                }
                // Read after the check, so the output written before the container stopped is shown.
                reader.printAll(reader.more(try file.readRecords()), timestamps: timestamps)
            }
            reader.printAll(reader.finish(), timestamps: timestamps)
        }
    }
}

/// Turns log records into the lines `logs` prints: fragments joined, `--since` and `--tail`
/// applied to what is in the file at first, `--since` alone to what follows.
struct LogReader {
    var selection: LogSelection
    private var assembler = LogAssembler()

    init(selection: LogSelection) {
        self.selection = selection
    }

    /// The lines of what the file held when `logs` started.
    mutating func initial(_ records: [[UInt8]]) -> [LogLine] {
        selection.apply(assemble(records))
    }

    /// The lines of records written since.
    mutating func more(_ records: [[UInt8]]) -> [LogLine] {
        assemble(records).filter(selection.includes)
    }

    /// Fragments whose end never came.
    mutating func finish() -> [LogLine] {
        assembler.finish().filter(selection.includes)
    }

    private mutating func assemble(_ records: [[UInt8]]) -> [LogLine] {
        var lines: [LogLine] = []
        for bytes in records where !bytes.isEmpty {
            do throws(BerthError) {
                if let line = assembler.add(try CRILogRecord(line: bytes)) { lines.append(line) }
            } catch {
                // One damaged record (a crash mid-write) should not hide the rest.
                printError("berthctl: skipping log record: \(error.message)")
            }
        }
        return lines
    }

    func printAll(_ lines: [LogLine], timestamps: Bool) {
        for line in lines {
            let handle = line.stream == .stderr ? FileHandle.standardError : FileHandle.standardOutput
            handle.write(Data(line.rendered(timestamps: timestamps)))
        }
    }
}
