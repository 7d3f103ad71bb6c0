import BerthBase
import CRI
import Foundation

/// One record of a CRI container log: `TIMESTAMP STREAM TAG MESSAGE`.
struct LogRecord: Equatable {
    var timestamp: String
    var stream: String
    var tag: String
    var message: String
}

/// Reads and checks CRI log files from the host side.
enum LogFile {
    /// RFC 3339 with up to nine fraction digits and a zone.
    nonisolated(unsafe) static let timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

    /// Every record of the file; fails the check on a line not in the CRI format.
    static func records(_ path: String) throws -> [LogRecord] {
        guard let text = HostFiles.read(path) else {
            throw CheckFailure(reason: "log file \(path): cannot be read")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws -> [LogRecord] {
        var records: [LogRecord] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else {
                throw CheckFailure(reason: "log file \(path): line \(String(line).debugDescription) has fewer than 3 fields")
            }
            let record = LogRecord(
                timestamp: String(fields[0]), stream: String(fields[1]), tag: String(fields[2]),
                message: fields.count == 4 ? String(fields[3]) : "")
            try expect(
                record.timestamp.wholeMatch(of: timestamp) != nil,
                "log file \(path): timestamp \(record.timestamp.debugDescription) is not RFC 3339 nano")
            try expect(["stdout", "stderr"].contains(record.stream), "log file \(path): stream \(record.stream.debugDescription)")
            try expect(["F", "P"].contains(record.tag), "log file \(path): tag \(record.tag.debugDescription)")
            records.append(record)
        }
        if let last = text.last {
            try expect(last == "\n", "log file \(path): does not end with a newline")
        }
        return records
    }

    /// Whole lines per stream: P records joined with what follows up to an F record.
    static func lines(_ records: [LogRecord], stream: String) -> [String] {
        var lines: [String] = []
        var partial = ""
        for record in records where record.stream == stream {
            partial += record.message
            if record.tag == "F" {
                lines.append(partial)
                partial = ""
            }
        }
        return lines
    }
}

/// "Logs": the CRI log format, long lines, and ReopenContainerLog.
enum LogChecks {
    static let all: [Check] = [format, statusLogPath, longLine, reopen]

    static let format = Check("logs/CRI log format with both streams") { harness in
        try await harness.withPod("log-format") { pod in
            let config = pod.containerConfig(
                "c", command: ["sh", "-c", "echo first out; echo first err >&2; sleep 0.2; echo second out; printf 'no newline'"])
            let id = try await pod.create(config)
            try await harness.start(id)
            try await harness.waitFor(id, .containerExited, within: .seconds(30))
            let records = try LogFile.records(pod.logFile(config))
            try expectEqual(LogFile.lines(records, stream: "stdout"), ["first out", "second out"], "whole stdout lines")
            try expectEqual(LogFile.lines(records, stream: "stderr"), ["first err"], "whole stderr lines")
            // Output without a final newline is still logged, as a partial record.
            let trailing = records.filter { $0.stream == "stdout" }.last
            try expectEqual(trailing?.message, "no newline", "last stdout record")
            try expectEqual(trailing?.tag, "P", "tag of output not ended by a newline")
            let stamps = records.map(\.timestamp)
            try expect(stamps == stamps.sorted(), "timestamps not in order: \(stamps)")
        }
    }

    static let statusLogPath = Check("logs/status reports the absolute log path") { harness in
        try await harness.withPod("log-path") { pod in
            let config = pod.containerConfig("c", command: ["echo", "hello"])
            let id = try await pod.create(config)
            let status = try await harness.containerStatus(id)
            try expectEqual(status.logPath, pod.logFile(config), "log path in ContainerStatus")
            try await harness.start(id)
            try await harness.waitFor(id, .containerExited, within: .seconds(30))
            try expectEqual(LogFile.lines(try LogFile.records(status.logPath), stream: "stdout"), ["hello"], "logged lines")
        }
    }

    static let longLine = Check("logs/a line over 16 KiB is split into P records") { harness in
        let length = 40_000
        try await harness.withPod("log-long") { pod in
            let config = pod.containerConfig(
                "c", command: ["sh", "-c", "head -c \(length) /dev/zero | tr '\\0' a; echo; echo after"])
            let id = try await pod.create(config)
            try await harness.start(id)
            try await harness.waitFor(id, .containerExited, within: .seconds(30))
            let records = try LogFile.records(pod.logFile(config)).filter { $0.stream == "stdout" }
            let partials = records.prefix { $0.tag == "P" }
            try expect(partials.count >= 2, "\(partials.count) P records before the first F for a \(length)-byte line")
            for record in records {
                try expect(record.message.utf8.count <= 16 * 1024, "a record of \(record.message.utf8.count) bytes (> 16 KiB)")
            }
            try expectEqual(
                LogFile.lines(records, stream: "stdout"), [String(repeating: "a", count: length), "after"], "reassembled lines")
        }
    }

    static let reopen = Check("logs/ReopenContainerLog starts a new file after rotation") { harness in
        try await harness.withPod("log-reopen") { pod in
            let config = pod.containerConfig(
                "c", command: ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"])
            let id = try await pod.create(config)
            try await harness.start(id)
            let path = pod.logFile(config)
            try await waitUntil("first line in \(path)", within: .seconds(10)) { (HostFiles.size(path) ?? 0) > 0 }
            let rotated = path + ".1"
            guard rename(path, rotated) == 0 else {
                throw CheckFailure(reason: "rename \(path): \(FileSystem.errnoText())")
            }
            var request = Runtime_V1_ReopenContainerLogRequest()
            request.containerID = id
            _ = try await harness.call(
                Method.runtime("ReopenContainerLog"), request, as: Runtime_V1_ReopenContainerLogResponse.self)
            try await waitUntil("new lines in the reopened \(path)", within: .seconds(10)) { (HostFiles.size(path) ?? 0) > 0 }
            // Writes already in flight may land in the old file; after that it must stay still.
            try await Task.sleep(for: .milliseconds(500))
            let rotatedSize = HostFiles.size(rotated)
            let newSize = HostFiles.size(path) ?? 0
            try await Task.sleep(for: .seconds(1))
            try expectEqual(HostFiles.size(rotated), rotatedSize, "size of the rotated file a second later")
            try expect((HostFiles.size(path) ?? 0) > newSize, "the reopened file stopped growing")
            let lines = LogFile.lines(try LogFile.records(path), stream: "stdout")
            try expect(lines.allSatisfy { $0.hasPrefix("line ") }, "unexpected lines in the reopened file: \(lines.prefix(5))")
        }
    }
}

/// Polls `condition` every 100 ms until it holds; fails after `limit`.
func waitUntil(_ what: String, within limit: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !(try await condition()) {
        guard ContinuousClock.now < deadline else { throw CheckFailure(reason: "no \(what) within \(limit)") }
        try await Task.sleep(for: .milliseconds(100))
    }
}
