import BerthBase
import CArchive
import OCIImage
#if canImport(Glibc)
import Glibc
#endif

/// A layer written into a layout: its descriptor (digest of the compressed blob) and its
/// diff ID (digest of the uncompressed tar), which the image config lists.
struct Layer: Sendable {
    var descriptor: Descriptor
    var diffID: Digest
    var uncompressedSize: Int64
}

/// Every entry gets this mtime, so the same recipe always yields the same bytes.
let fixedModificationTime = 1_704_067_200  // 2024-01-01T00:00:00Z
let fixedCreated = "2024-01-01T00:00:00Z"

/// How a layer blob is compressed.
enum LayerCompression {
    case gzip, zstd

    var ociMediaType: String { self == .gzip ? MediaType.ociLayerGzip : MediaType.ociLayerZstd }
}

/// Writes a compressed tar layer with libarchive in one pass: the pax tar stream is hashed
/// (the diff ID) and fed into a gzip or zstd stream that is hashed (the digest) and written
/// to disk.
enum LayerWriter {
    static func write(
        _ entries: [LayerEntry], into layout: LayoutWriter, compression: LayerCompression = .gzip, mediaType: String? = nil
    ) throws(BerthError) -> Layer {
        let temporary = layout.temporaryBlobPath()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BerthError(.internal, "create \(temporary): \(FileSystem.errnoText())") }
        let compressed = CompressedSink(fd: fd, path: temporary)
        defer { close(fd) }
        let tee: TarTee
        do {
            tee = try TarTee(sink: compressed, compression: compression)
            defer { tee.release() }
            try tee.writeAll(entries.normalized())
            try tee.close()
        } catch {
            unlink(temporary)
            throw error
        }
        if let failure = compressed.failure {
            unlink(temporary)
            throw BerthError(.internal, failure)
        }
        let digest = compressed.hasher.finalize()
        try layout.adopt(temporary, as: digest)
        return Layer(
            descriptor: Descriptor(mediaType: mediaType ?? compression.ociMediaType, digest: digest, size: compressed.size),
            diffID: tee.hasher.finalize(),
            uncompressedSize: tee.size
        )
    }
}

/// Receives the compressed stream.
private final class CompressedSink {
    let fd: Int32
    let path: String
    let hasher = SHA256Hasher()
    var size: Int64 = 0
    var failure: String?

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func accept(_ buffer: UnsafeRawBufferPointer) -> Bool {
        hasher.update(buffer)
        var offset = 0
        while offset < buffer.count, let base = buffer.baseAddress {
            let written = Glibc.write(fd, base + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = "write \(path): \(FileSystem.errnoText())"
                return false
            }
            offset += written
        }
        size += Int64(buffer.count)
        return true
    }
}

/// A tar writer whose output is hashed and passed on to a gzip or zstd compressor
/// (libarchive's raw format with a compression filter, so both halves are libarchive).
private final class TarTee {
    let hasher = SHA256Hasher()
    var size: Int64 = 0
    private let tar: OpaquePointer
    private let compressor: OpaquePointer
    private let sink: CompressedSink

    init(sink: CompressedSink, compression: LayerCompression) throws(BerthError) {
        self.sink = sink
        guard let tar = archive_write_new(), let compressor = archive_write_new() else {
            throw BerthError(.resourceExhausted, "archive_write_new failed")
        }
        self.tar = tar
        self.compressor = compressor
        // No timestamp in a gzip header and no padding after the stream: the blob must be
        // byte-for-byte reproducible and a valid single-frame file.
        switch compression {
        case .gzip:
            try check(compressor, archive_write_add_filter_gzip(compressor), "add gzip filter")
            try check(compressor, archive_write_set_filter_option(compressor, "gzip", "timestamp", nil), "disable gzip timestamp")
        case .zstd:
            try check(compressor, archive_write_add_filter_zstd(compressor), "add zstd filter")
        }
        try check(compressor, archive_write_set_format_raw(compressor), "set raw format")
        try check(compressor, archive_write_set_bytes_in_last_block(compressor, 1), "set last block")
        try check(compressor, archive_write_open(compressor, Unmanaged.passUnretained(sink).toOpaque(), nil, { _, context, buffer, length in
            guard let context, let buffer else { return -1 }
            let sink = Unmanaged<CompressedSink>.fromOpaque(context).takeUnretainedValue()
            return sink.accept(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : -1
        }, nil), "open compression stream")
        let body = archive_entry_new()
        archive_entry_set_pathname(body, "layer.tar")
        archive_entry_set_filetype(body, UInt32(Glibc.S_IFREG))
        defer { archive_entry_free(body) }
        try check(compressor, archive_write_header(compressor, body), "start compression stream")

        try check(tar, archive_write_set_format_pax_restricted(tar), "set pax format")
        try check(tar, archive_write_set_bytes_in_last_block(tar, 1), "set last block")
        try check(tar, archive_write_open(tar, Unmanaged.passUnretained(self).toOpaque(), nil, { _, context, buffer, length in
            guard let context, let buffer else { return -1 }
            let tee = Unmanaged<TarTee>.fromOpaque(context).takeUnretainedValue()
            return tee.accept(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : -1
        }, nil), "open tar stream")
    }

    func release() {
        archive_write_free(tar)
        archive_write_free(compressor)
    }

    private func accept(_ buffer: UnsafeRawBufferPointer) -> Bool {
        hasher.update(buffer)
        size += Int64(buffer.count)
        return archive_write_data(compressor, buffer.baseAddress, buffer.count) == buffer.count
    }

    func writeAll(_ entries: [LayerEntry]) throws(BerthError) {
        for entry in entries {
            try TarEntries.write(entry, to: tar)
        }
    }

    func close() throws(BerthError) {
        try check(tar, archive_write_close(tar), "finish tar stream")
        try check(compressor, archive_write_close(compressor), "finish compression stream")
    }
}
