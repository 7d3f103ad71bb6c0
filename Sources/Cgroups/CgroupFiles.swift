#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// Reading and writing cgroup interface files. They are written in place (never created or
/// renamed: the kernel owns them), each value in one write(2), as the kernel parses it.
enum CgroupFiles {
    /// A file's text, or nil when it does not exist (its controller is not enabled).
    static func read(_ path: String) throws(BerthError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw BerthError(.internal, "open \(path): \(FileSystem.errnoText())")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                // A cgroup removed while being read reads as ENODEV.
                if errno == ENODEV { return nil }
                throw BerthError(.internal, "read \(path): \(FileSystem.errnoText())")
            }
            if count == 0 { break }
            bytes += chunk[0 ..< count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whitespace-separated words of a file (`cgroup.controllers`), empty when it is missing.
    static func words(in path: String) -> [String] {
        ((try? read(path)) ?? nil)?.split(whereSeparator: \.isWhitespace).map(String.init) ?? []
    }

    /// Writes `value` to an existing interface file; errors name the file, the value and errno.
    static func write(_ value: String, to path: String) throws(BerthError) {
        // O_TRUNC as runc does: the kernel ignores it, and a plain file (a test hierarchy) then holds just the value.
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw BerthError(errorCode(code), "open \(path) to write \(quoted(value)): \(FileSystem.errnoText(code))")
        }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        while true {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written == bytes.count else {
                let code = written < 0 ? errno : EIO
                throw BerthError(errorCode(code), "write \(quoted(value)) to \(path): \(FileSystem.errnoText(code))")
            }
            return
        }
    }

    /// The wire code for a failed write: the kernel refuses values with EINVAL or ERANGE.
    static func errorCode(_ code: Int32) -> ErrorCode {
        switch code {
        case EINVAL, ERANGE: .invalidArgument
        case ENOENT: .failedPrecondition
        case EACCES, EPERM: .permissionDenied
        case EBUSY: .failedPrecondition
        default: .internal
        }
    }

    /// `key value` lines (`cpu.stat`, `memory.stat`, `memory.events`) as numbers.
    static func keyedValues(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }
}

func quoted(_ text: String) -> String { "\"\(text)\"" }
