import BerthBase
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Writes described entries into an open libarchive tar writer: root-owned unless stated,
/// every mtime fixed, no user or group names, so the bytes depend on the entries alone.
enum TarEntries {
    static func write(_ entry: LayerEntry, to tar: OpaquePointer) throws(BerthError) {
        let header = archive_entry_new()
        defer { archive_entry_free(header) }
        archive_entry_set_pathname(header, entry.path)
        archive_entry_set_perm(header, entry.permissions)
        archive_entry_set_uid(header, entry.uid)
        archive_entry_set_gid(header, entry.gid)
        archive_entry_set_mtime(header, fixedModificationTime, 0)
        switch entry.content {
        case .directory:
            archive_entry_set_filetype(header, UInt32(Glibc.S_IFDIR))
        case .symlink(let target):
            archive_entry_set_filetype(header, UInt32(Glibc.S_IFLNK))
            archive_entry_set_symlink(header, target)
        case .bytes, .hostFile:
            archive_entry_set_filetype(header, UInt32(Glibc.S_IFREG))
            archive_entry_set_size(header, entry.size)
        }
        try check(tar, archive_write_header(tar, header), "write header of \(entry.path)")
        switch entry.content {
        case .bytes(let bytes):
            let written = bytes.withUnsafeBytes { writeData($0, to: tar) }
            guard written else { throw BerthError(.internal, "write \(entry.path) into tar: \(errorText(tar))") }
        case .hostFile(let path, let size):
            try copyHostFile(path, size: size, as: entry.path, to: tar)
        case .directory, .symlink:
            break
        }
    }

    private static func writeData(_ buffer: UnsafeRawBufferPointer, to tar: OpaquePointer) -> Bool {
        buffer.isEmpty || archive_write_data(tar, buffer.baseAddress, buffer.count) == buffer.count
    }

    /// Streams a host file; it must still have the size it had when the recipe was made,
    /// since that size is already in the tar header.
    private static func copyHostFile(_ source: String, size: Int64, as path: String, to tar: OpaquePointer) throws(BerthError) {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BerthError(.internal, "open \(source): \(FileSystem.errnoText())") }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var copied: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BerthError(.internal, "read \(source): \(FileSystem.errnoText())")
            }
            if count == 0 { break }
            copied += Int64(count)
            guard copied <= size else { break }
            let written = buffer.withUnsafeBytes { writeData(UnsafeRawBufferPointer(rebasing: $0[..<count]), to: tar) }
            guard written else { throw BerthError(.internal, "write \(path) into tar: \(errorText(tar))") }
        }
        guard copied == size else {
            throw BerthError(.failedPrecondition, "copy \(source): file changed size while building (expected \(size) bytes, read \(copied))")
        }
    }
}

/// Turns a libarchive failure into an error naming the step; warnings pass.
func check(_ archive: OpaquePointer, _ status: Int32, _ what: String) throws(BerthError) {
    if status < ARCHIVE_WARN {
        throw BerthError(.internal, "libarchive: \(what): \(errorText(archive))")
    }
}

func errorText(_ archive: OpaquePointer) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
}
