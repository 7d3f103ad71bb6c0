import BerthBase
import Foundation

/// A moment as CRI log records stamp it: whole seconds since the epoch and nanoseconds.
struct LogTime: Comparable, Hashable, Sendable {
    var seconds: Int64
    var nanoseconds: Int32

    init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        let whole = interval.rounded(.down)
        self.init(seconds: Int64(whole), nanoseconds: Int32(((interval - whole) * 1e9).rounded(.down)))
    }

    /// Parses RFC 3339 with any number of fraction digits, as `2016-10-06T00:17:09.669794202Z`
    /// or `2016-10-06T02:17:09+02:00`; `nil` for anything else.
    init?(rfc3339 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is character: Character...) -> Bool {
            index < bytes.count && character.contains { $0.asciiValue == bytes[index] }
        }
        guard let year = number(0..<4), byte(4, is: "-"), let month = number(5..<7), byte(7, is: "-"),
            let day = number(8..<10), byte(10, is: "T", "t", " "), let hour = number(11..<13), byte(13, is: ":"),
            let minute = number(14..<16), byte(16, is: ":"), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var nanoseconds = 0
        if byte(index, is: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if digits < 9 { nanoseconds = nanoseconds * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanoseconds *= 10 }
        }
        var offset = 0
        if byte(index, is: "Z", "z") {
            index += 1
        } else if byte(index, is: "+", "-"), let hours = number(index + 1..<index + 3), byte(index + 3, is: ":"),
            let minutes = number(index + 4..<index + 6)
        {
            offset = (hours * 60 + minutes) * 60 * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        self.init(
            seconds: Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset),
            nanoseconds: Int32(nanoseconds))
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func < (lhs: LogTime, rhs: LogTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

/// Which stream of the container a log record came from.
enum LogStream: String, Sendable {
    case stdout, stderr
}

/// One line of a CRI log file: `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`, where `P`
/// marks a fragment of a longer line that the next records of the same stream continue.
struct CRILogRecord: Equatable, Sendable {
    /// The time as written, so `--timestamps` prints it unchanged.
    var timestamp: String
    var time: LogTime
    var stream: LogStream
    var partial: Bool
    var content: [UInt8]

    init(timestamp: String, time: LogTime, stream: LogStream, partial: Bool, content: [UInt8]) {
        self.timestamp = timestamp
        self.time = time
        self.stream = stream
        self.partial = partial
        self.content = content
    }

    /// Parses one record, without its newline.
    init(line: some Collection<UInt8>) throws(BerthError) {
        let bytes = Array(line)
        let fields = bytes.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3 else {
            throw BerthError(.invalidArgument, "log record has fewer than 3 fields: \(Self.excerpt(bytes))")
        }
        let timestamp = String(decoding: fields[0], as: UTF8.self)
        guard let time = LogTime(rfc3339: timestamp) else {
            throw BerthError(.invalidArgument, "log record time \"\(timestamp)\" is not RFC 3339")
        }
        guard let stream = LogStream(rawValue: String(decoding: fields[1], as: UTF8.self)) else {
            throw BerthError(.invalidArgument, "log record stream is not stdout or stderr: \(Self.excerpt(bytes))")
        }
        // Tags are `:`-separated; the first says whether the line is whole or a fragment.
        let tag = fields[2].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).first ?? []
        guard tag.elementsEqual("F".utf8) || tag.elementsEqual("P".utf8) else {
            throw BerthError(.invalidArgument, "log record tag is not F or P: \(Self.excerpt(bytes))")
        }
        self.init(
            timestamp: timestamp, time: time, stream: stream, partial: tag.elementsEqual("P".utf8),
            content: fields.count > 3 ? Array(fields[3]) : [])
    }

    private static func excerpt(_ bytes: [UInt8]) -> String {
        "\"" + String(decoding: bytes.prefix(80), as: UTF8.self) + (bytes.count > 80 ? "…\"" : "\"")
    }
}

/// A line of container output, joined from its fragments; it carries the time of its first.
struct LogLine: Equatable, Sendable {
    var timestamp: String
    var time: LogTime
    var stream: LogStream
    var text: [UInt8]
    /// False for the fragments still waiting for their end when the output stopped.
    var complete: Bool

    /// The bytes to print: the time first with `--timestamps`, and the newline the record
    /// format took off.
    func rendered(timestamps: Bool) -> [UInt8] {
        (timestamps ? Array((timestamp + " ").utf8) : []) + text + (complete ? [UInt8(ascii: "\n")] : [])
    }
}

/// Joins `P` fragments with the records that follow them on the same stream.
struct LogAssembler {
    private var pending: [LogStream: LogLine] = [:]

    /// The lines `record` completes: none for a fragment, one otherwise.
    mutating func add(_ record: CRILogRecord) -> LogLine? {
        var line = pending.removeValue(forKey: record.stream)
            ?? LogLine(timestamp: record.timestamp, time: record.time, stream: record.stream, text: [], complete: false)
        line.text += record.content
        guard !record.partial else {
            pending[record.stream] = line
            return nil
        }
        line.complete = true
        return line
    }

    /// The fragments still waiting, when no more records will come.
    mutating func finish() -> [LogLine] {
        defer { pending = [:] }
        return pending.values.sorted { $0.time < $1.time }
    }
}

/// Which lines `logs` shows: those at or after `since`, then the last `tail` of them.
struct LogSelection: Sendable {
    var since: LogTime?
    /// Negative for all.
    var tail: Int = -1

    func includes(_ line: LogLine) -> Bool {
        since.map { line.time >= $0 } ?? true
    }

    func apply(_ lines: [LogLine]) -> [LogLine] {
        let recent = lines.filter(includes)
        return tail < 0 ? recent : Array(recent.suffix(tail))
    }

    /// `--since`: an RFC 3339 time, or a Go-style duration (`10s`, `1h30m`, `1.5h`) back from `now`.
    static func since(_ text: String, now: Date = Date()) throws(BerthError) -> LogTime {
        if let time = LogTime(rfc3339: text) { return time }
        guard let seconds = goDuration(text) else {
            throw BerthError(
                .invalidArgument, "--since \"\(text)\" is neither an RFC 3339 time nor a duration such as 10s, 5m or 1h30m")
        }
        return LogTime(now.addingTimeInterval(-seconds))
    }

    /// A Go duration string in seconds: a sequence of decimal numbers, each with a unit
    /// (ns, us, µs, ms, s, m, h), optionally signed.
    static func goDuration(_ text: String) -> Double? {
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return sign * total
    }
}
