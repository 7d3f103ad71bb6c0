import BerthBase
import CArchive

/// A layer blob decompressed on the fly and hashed as it goes, so that extraction and the
/// diffID come out of one pass over the blob.
final class DecompressedStream {
    private let archive: OpaquePointer
    private let hasher = SHA256Hasher()
    private let cancel: CancellationFlag
    private let blobPath: String
    private(set) var size: Int64 = 0
    private var finished = false
    /// Why the last `next()` failed; the tar reader only sees "read error".
    private(set) var failure: BerthError?

    init(blob path: String, cancel: CancellationFlag) throws(BerthError) {
        guard let archive = archive_read_new() else {
            throw BerthError(.internal, "unpack \(path): archive_read_new failed")
        }
        self.archive = archive
        self.cancel = cancel
        self.blobPath = path
        // Only in-process decoders: libarchive would otherwise fork helper programs for
        // exotic formats from inside the daemon.
        archive_read_support_filter_gzip(archive)
        archive_read_support_filter_zstd(archive)
        archive_read_support_filter_xz(archive)
        archive_read_support_filter_bzip2(archive)
        archive_read_support_format_raw(archive)
        guard archive_read_open_filename(archive, path, 1 << 20) == ARCHIVE_OK else {
            throw BerthError(.internal, "unpack \(path): open: \(Self.errorText(archive))")
        }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            throw BerthError(.invalidArgument, "unpack \(path): layer blob is empty")
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw BerthError(.invalidArgument, "unpack \(path): \(Self.errorText(archive))")
        }
    }

    deinit { archive_read_free(archive) }

    /// The next block of uncompressed bytes (valid until the next call), or an empty
    /// buffer at the end of the stream.
    func next() throws(BerthError) -> UnsafeRawBufferPointer {
        if finished { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if cancel.isCancelled {
            return try fail(BerthError(.cancelled, "unpack \(blobPath): cancelled"))
        }
        var block: UnsafeRawPointer?
        var length = 0
        var offset: la_int64_t = 0
        let status = archive_read_data_block(archive, &block, &length, &offset)
        if status == ARCHIVE_EOF {
            finished = true
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            return try fail(BerthError(.dataLoss, "unpack \(blobPath): decompress: \(Self.errorText(archive))"))
        }
        let bytes = UnsafeRawBufferPointer(start: block, count: length)
        hasher.update(bytes)
        size += Int64(length)
        return bytes
    }

    /// Reads (and hashes) whatever follows the end of the tar, so the diffID covers the
    /// whole stream as the image config does.
    func drain() throws(BerthError) {
        while try !next().isEmpty {}
    }

    /// The sha256 of everything read; call once, after `drain()`.
    func digest() -> Digest { hasher.finalize() }

    private func fail(_ error: BerthError) throws(BerthError) -> UnsafeRawBufferPointer {
        failure = error
        throw error
    }

    static func errorText(_ archive: OpaquePointer) -> String {
        guard let text = archive_error_string(archive) else { return "unknown libarchive error" }
        return String(cString: text)
    }
}
