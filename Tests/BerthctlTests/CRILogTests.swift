import BerthBase
import Foundation
import TestSupport
import Testing

@testable import berthctl

@Suite struct CRILogTests {
    func record(_ text: String) throws -> CRILogRecord {
        try CRILogRecord(line: Array(text.utf8))
    }

    @Test func parsesFullAndPartialRecords() throws {
        let full = try record("2016-10-06T00:17:09.669794202Z stdout F hello world")
        #expect(full.timestamp == "2016-10-06T00:17:09.669794202Z")
        #expect(full.time == LogTime(seconds: 1_475_713_029, nanoseconds: 669_794_202))
        #expect(full.stream == .stdout)
        #expect(!full.partial)
        #expect(full.content == Array("hello world".utf8))

        let partial = try record("2016-10-06T00:17:09.669794202Z stderr P  two  spaces ")
        #expect(partial.stream == .stderr)
        #expect(partial.partial)
        #expect(partial.content == Array(" two  spaces ".utf8))

        #expect(try record("2016-10-06T00:17:09Z stdout F").content.isEmpty)
        #expect(try record("2016-10-06T00:17:09Z stdout F ").content.isEmpty)
        #expect(try record("2016-10-06T00:17:09Z stdout P:extra x").partial)
    }

    @Test(arguments: [
        "garbage", "2016-10-06 stdout F x", "2016-10-06T00:17:09Z stdin F x", "2016-10-06T00:17:09Z stdout X x",
        "2016-13-06T00:17:09Z stdout F x",
    ])
    func rejectsMalformedRecords(line: String) {
        #expect(throws: BerthError.self) { try record(line) }
    }

    @Test func timesWithOffsetsAndShortFractions() {
        #expect(LogTime(rfc3339: "1970-01-01T00:00:00Z") == LogTime(seconds: 0))
        #expect(LogTime(rfc3339: "1970-01-01T02:00:01.5+02:00") == LogTime(seconds: 1, nanoseconds: 500_000_000))
        #expect(LogTime(rfc3339: "2000-02-29T12:00:00-01:30") == LogTime(seconds: 951_825_600 + 5_400))
        #expect(LogTime(rfc3339: "2024-01-01T00:00:00.1234567891Z")?.nanoseconds == 123_456_789)
        #expect(LogTime(rfc3339: "2024-01-01T00:00:00") == nil)
        #expect(LogTime(rfc3339: "2024-01-01T00:00:00.Z") == nil)
    }

    @Test func fragmentsJoinPerStreamAndKeepTheFirstTime() throws {
        var assembler = LogAssembler()
        #expect(assembler.add(try record("2024-01-01T00:00:01Z stdout P hel")) == nil)
        let error = assembler.add(try record("2024-01-01T00:00:02Z stderr F oops"))
        #expect(error?.text == Array("oops".utf8))
        #expect(assembler.add(try record("2024-01-01T00:00:03Z stdout P lo ")) == nil)
        let joined = try #require(assembler.add(try record("2024-01-01T00:00:04Z stdout F world")))
        #expect(joined.text == Array("hello world".utf8))
        #expect(joined.timestamp == "2024-01-01T00:00:01Z")
        #expect(joined.rendered(timestamps: false) == Array("hello world\n".utf8))
        #expect(joined.rendered(timestamps: true) == Array("2024-01-01T00:00:01Z hello world\n".utf8))

        #expect(assembler.add(try record("2024-01-01T00:00:05Z stdout P unfinished")) == nil)
        let left = assembler.finish()
        #expect(left.map(\.text) == [Array("unfinished".utf8)])
        #expect(left.first?.rendered(timestamps: false) == Array("unfinished".utf8))
        #expect(assembler.finish().isEmpty)
    }

    @Test func tailAndSinceSelectLines() throws {
        var reader = LogReader(selection: LogSelection(since: LogTime(seconds: 2), tail: 2))
        let records = (1...5).map { Array("1970-01-01T00:00:0\($0)Z stdout F line \($0)".utf8) }
        #expect(reader.initial(records).map { String(decoding: $0.text, as: UTF8.self) } == ["line 4", "line 5"])
        #expect(reader.more([Array("1970-01-01T00:00:01Z stdout F old".utf8)]).isEmpty)

        var all = LogReader(selection: LogSelection())
        #expect(all.initial(records).count == 5)
        var none = LogReader(selection: LogSelection(tail: 0))
        #expect(none.initial(records).isEmpty)
    }

    @Test func sinceTakesTimesAndGoDurations() throws {
        let now = Date(timeIntervalSince1970: 10_000)
        #expect(try LogSelection.since("1h30m", now: now) == LogTime(seconds: 10_000 - 5_400))
        #expect(try LogSelection.since("1.5s", now: now) == LogTime(seconds: 9_998, nanoseconds: 500_000_000))
        #expect(try LogSelection.since("250ms", now: now) == LogTime(seconds: 9_999, nanoseconds: 750_000_000))
        #expect(try LogSelection.since("1970-01-01T00:00:05Z", now: now) == LogTime(seconds: 5))
        #expect(throws: BerthError.self) { try LogSelection.since("yesterday", now: now) }
        #expect(throws: BerthError.self) { try LogSelection.since("10", now: now) }
        #expect(LogSelection.goDuration("2h") == 7200)
        #expect(LogSelection.goDuration("") == nil)
    }
}

@Suite struct LogFileTests {
    /// Removed when the test's suite instance goes.
    let work: TestDirectory
    var directory: URL { URL(fileURLWithPath: work.path) }

    init() throws {
        work = try TestDirectory(prefix: "berthctl-logs")
    }

    func append(_ text: String, to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    func strings(_ records: [[UInt8]]) -> [String] {
        records.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func followsAppendsAndWaitsForWholeRecords() throws {
        let path = directory.appendingPathComponent("0.log").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("a\nb\n".utf8))
        let file = try LogFile(path: path)
        #expect(strings(try file.readRecords()) == ["a", "b"])
        #expect(try file.readRecords().isEmpty)
        try append("c\nhalf", to: path)
        #expect(strings(try file.readRecords()) == ["c"])
        try append(" done\n", to: path)
        #expect(strings(try file.readRecords()) == ["half done"])
    }

    @Test func followsARenameAndReopen() throws {
        let path = directory.appendingPathComponent("0.log").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("one\n".utf8))
        let file = try LogFile(path: path)
        #expect(strings(try file.readRecords()) == ["one"])

        // The writer still has the old file open after the rename; its last words must show.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try append("two\n", to: path + ".1")
        #expect(strings(try file.readRecords()) == ["two"])

        // The runtime reopens: a new file at the path.
        try append("three\n", to: path + ".1")
        _ = FileManager.default.createFile(atPath: path, contents: Data("four\n".utf8))
        #expect(strings(try file.readRecords()) == ["three", "four"])
        try append("five\n", to: path)
        #expect(strings(try file.readRecords()) == ["five"])
    }

    @Test func rereadsAFileTruncatedInPlace() throws {
        let path = directory.appendingPathComponent("0.log").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("long line one\n".utf8))
        let file = try LogFile(path: path)
        #expect(strings(try file.readRecords()) == ["long line one"])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.close()
        try append("new\n", to: path)
        #expect(strings(try file.readRecords()) == ["new"])
    }

    @Test func aMissingFileIsNotFound() {
        let error = #expect(throws: BerthError.self) { try LogFile(path: "/nonexistent/berth/0.log") }
        #expect(error?.code == .notFound)
    }
}
