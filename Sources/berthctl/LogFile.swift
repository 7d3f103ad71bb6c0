import BerthBase
import Foundation

/// Reads a growing log file record by record, following it when it is rotated: once the path
/// names a new file (the runtime reopened its log after the old one was renamed), the rest of
/// the old file is read and then the new one from its start. A file cut short in place is
/// read again from its start.
final class LogFile {
    let path: String
    private var descriptor: Int32
    private var identity: FileIdentity
    private var offset: Int64 = 0
    private var pending: [UInt8] = []

    init(path: String) throws(BerthError) {
        self.path = path
        (descriptor, identity) = try Self.open(path)
    }

    deinit {
        close(descriptor)
    }

    /// The whole records written since the last call, without their newlines. A record whose
    /// newline has not been written yet waits for the next call.
    func readRecords() throws(BerthError) -> [[UInt8]] {
        var records = try drain()
        // A new file at the path means the one open was rotated away; its writer is done
        // with it, so read what is left of it, then carry on with the new one.
        if let current = Self.identity(of: path), current != identity {
            records += try drain()
            if !pending.isEmpty { records.append(pending) }
            pending = []
            close(descriptor)
            (descriptor, identity) = try Self.open(path)
            offset = 0
            records += try drain()
        }
        return records
    }

    /// Reads to the end of the open file, splitting what came into records.
    private func drain() throws(BerthError) -> [[UInt8]] {
        var status = stat()
        if fstat(descriptor, &status) == 0, Int64(status.st_size) < offset {
            // Truncated in place (copytruncate rotation): what was read is gone, start over.
            offset = 0
            pending = []
        }
        var records: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BerthError(.internal, "read \(path): \(FileSystem.errnoText(errno))")
            }
            if count == 0 { break }
            offset += Int64(count)
            pending += buffer[..<count]
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                records.append(Array(pending[start..<newline]))
                start = newline + 1
            }
            pending.removeSubrange(..<start)
        }
        return records
    }

    private static func open(_ path: String) throws(BerthError) -> (Int32, FileIdentity) {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw BerthError(errno == ENOENT ? .notFound : .internal, "open log \(path): \(FileSystem.errnoText(errno))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = errno
            close(descriptor)
            throw BerthError(.internal, "stat log \(path): \(FileSystem.errnoText(error))")
        }
        return (descriptor, FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)))
    }

    /// The device and inode the path names now, or nil while nothing is there.
    private static func identity(of path: String) -> FileIdentity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// Which file a path names, whatever it is called now.
    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
    }
}
