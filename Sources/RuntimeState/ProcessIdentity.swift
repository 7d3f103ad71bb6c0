import Glibc

/// A process named so that a reused pid is never mistaken for it: the pid plus the start time
/// the kernel gives it (`/proc/<pid>/stat` field 22, clock ticks since boot).
public struct ProcessIdentity: Codable, Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of a live process, or nil when there is no such process.
    public static func of(pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let start = startTime(of: pid) else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// Whether this very process is still there (a zombie counts as gone).
    public var isAlive: Bool {
        guard let stat = Self.stat(of: pid), let fields = Self.fieldsAfterName(stat) else { return false }
        return fields.first != "Z" && fields.first != "X" && UInt64(fields[19]) == startTime
    }

    public var description: String { "\(pid)" }

    private static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = stat(of: pid), let fields = fieldsAfterName(stat), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The fields after `comm`, which may itself hold spaces and parentheses: field 3 (state)
    /// is at index 0, field 22 (starttime) at index 19.
    private static func fieldsAfterName(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? fields : nil
    }

    private static func stat(of pid: Int32) -> String? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
