#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Small crash-safe file-system operations shared by the stores.
public enum FileSystem {
    /// The text of `errno`.
    public static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Creates `path` and its parents with `mode` where missing.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(BerthError) {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, mode) != 0 && errno != EEXIST {
                throw BerthError(.internal, "mkdir \(built): \(errnoText())")
            }
        }
    }

    /// Writes `bytes` to `path` so that a crash leaves either the old file or the new one:
    /// a temporary file in the same directory, fsync, rename, fsync of the directory. Without
    /// `durable` the fsyncs are left out: the rename still keeps a berthd crash from leaving a
    /// torn file, and only a power loss may roll the file back (right for state that a reboot
    /// makes stale anyway, such as the records of running containers).
    public static func atomicWrite(
        _ bytes: some Collection<UInt8>, to path: String, mode: mode_t = 0o644, durable: Bool = true
    ) throws(BerthError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.tmp-\((path as NSString).lastPathComponent)-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw BerthError(.internal, "create \(temporary): \(errnoText())") }
        let array = Array(bytes)
        var failure: String?
        array.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "write \(temporary): \(errnoText())"
                    return
                }
                offset += written
            }
        }
        if failure == nil && durable && fsync(fd) != 0 { failure = "fsync \(temporary): \(errnoText())" }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = "rename \(temporary) to \(path): \(errnoText())" }
        if let failure {
            unlink(temporary)
            throw BerthError(.internal, failure)
        }
        if durable { syncDirectory(directory) }
    }

    /// Flushes a directory's entries (after a rename or create in it).
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Reads a whole file, or nil when it does not exist.
    ///
    /// Whether the file exists is the open's own answer: asking again afterwards would take a
    /// file renamed into place in between (an exit record, a state file) for an unreadable one.
    public static func read(_ path: String) throws(BerthError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw BerthError(.internal, "open \(path): \(errnoText())")
        }
        defer { close(fd) }
        // Sized for the file as it is now (most are small records), plus one byte to see the end.
        var info = stat()
        let expected = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected)
        var chunk = [UInt8](repeating: 0, count: min(max(expected + 1, 512), 1 << 20))
        while true {
            let count = chunk.withUnsafeMutableBytes { readSome(fd, $0) }
            if count == 0 { return bytes }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw BerthError(.internal, "read \(path): \(errnoText())")
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Whether something (of any kind, symlinks not followed) exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` (symlinks followed) is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether `path` (symlinks followed) is anything but a directory: what a bind mount of it
    /// needs as its target is a file.
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR
    }

    /// Removes `path` and everything below it; a missing path is not an error.
    public static func removeTree(_ path: String) throws(BerthError) {
        guard exists(path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw BerthError(.internal, "remove \(path): \(error)")
        }
    }

    /// The names in a directory (no `.` or `..`), or empty when it does not exist.
    public static func list(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }

    /// Bytes used on disk by a tree (allocated blocks, hard links counted once) and its inode count.
    public static func usage(_ path: String) -> (bytes: UInt64, inodes: UInt64) {
        var bytes: UInt64 = 0
        var inodes: UInt64 = 0
        var seen = Set<UInt64>()
        func walk(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return }
            if info.st_nlink > 1 && (info.st_mode & S_IFMT) != S_IFDIR {
                guard seen.insert(UInt64(info.st_ino)).inserted else { return }
            }
            inodes += 1
            bytes += UInt64(info.st_blocks) * 512
            if (info.st_mode & S_IFMT) == S_IFDIR {
                for name in list(path) { walk(path + "/" + name) }
            }
        }
        walk(path)
        return (bytes, inodes)
    }
}

/// read(2), which the `read` methods above would otherwise hide.
private func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(fd, buffer.baseAddress, buffer.count)
}
