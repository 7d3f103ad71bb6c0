#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// One blob being written: hashed as it arrives, capped at its declared size, and moved into
/// the store only by `commit()` once its size and digest match. Used by one thread at a time.
public final class BlobWriter {
    /// The digest the content must have.
    public let expected: Digest
    /// The declared size, when known.
    public let declaredSize: Int64?
    /// Bytes accepted so far.
    public private(set) var written: Int64 = 0

    private var fd: Int32
    private let temporaryPath: String
    private let directory: String
    private var destination: String { "\(directory)/\(expected.encoded)" }
    private let hasher = SHA256Hasher()

    init(fd: Int32, temporaryPath: String, directory: String, expected: Digest, size: Int64?) {
        self.fd = fd
        self.temporaryPath = temporaryPath
        self.directory = directory
        self.expected = expected
        self.declaredSize = size
    }

    deinit { abort() }

    /// Appends bytes, refusing any that would grow the blob past its declared size.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(BerthError) {
        guard fd >= 0 else { throw BerthError(.failedPrecondition, "blob \(expected): writer already closed") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if let declaredSize, written + Int64(bytes.count) > declaredSize {
            throw BerthError(.invalidArgument, "blob \(expected): size exceeds declared \(declaredSize) bytes")
        }
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(fd, base + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("write")
            }
            offset += count
        }
        hasher.update(bytes)
        written += Int64(bytes.count)
    }

    /// Appends bytes, refusing any that would grow the blob past its declared size.
    public func write(_ bytes: [UInt8]) throws(BerthError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(BerthError) in try write(buffer) }
        }
        try result.get()
    }

    /// Checks size and digest, then makes the blob visible with an atomic rename.
    /// On a mismatch the partial content is deleted and nothing is committed.
    @discardableResult
    public func commit() throws(BerthError) -> Digest {
        guard fd >= 0 else { throw BerthError(.failedPrecondition, "blob \(expected): writer already closed") }
        if let declaredSize, written != declaredSize {
            abort()
            throw BerthError(.invalidArgument, "blob \(expected): size mismatch (got \(written) bytes, declared \(declaredSize))")
        }
        let actual = hasher.finalize()
        guard actual == expected else {
            abort()
            throw BerthError(.invalidArgument, "blob \(expected): digest mismatch (got \(actual))")
        }
        if fsync(fd) != 0 {
            let error = ioError("fsync")
            abort()
            throw error
        }
        close(fd)
        fd = -1
        var info = stat()
        if stat(destination, &info) == 0 {
            // Another writer committed the same content first; ours is redundant.
            unlink(temporaryPath)
            return actual
        }
        if rename(temporaryPath, destination) != 0 {
            let error = ioError("rename to \(destination)")
            unlink(temporaryPath)
            throw error
        }
        // The rename is durable only once the directory entry is.
        FileSystem.syncDirectory(directory)
        return actual
    }

    /// Drops the partial content. Safe to call more than once and after `commit()`.
    public func abort() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }

    private func ioError(_ operation: String) -> BerthError {
        let code: ErrorCode = errno == ENOSPC || errno == EDQUOT ? .resourceExhausted : .internal
        return BerthError(code, "blob \(expected): \(operation) \(temporaryPath): \(FileSystem.errnoText())")
    }
}
