import BerthBase
import CArchive

/// Unpacks OCI image layers (gzip, zstd or plain tar, detected by content) into
/// directories that overlayfs can stack.
public enum LayerUnpacker {
    /// Unpacks the layer blob at `path` into `directory`, which must exist and be empty,
    /// and returns the diffID of its uncompressed tar stream, computed in the same pass.
    ///
    /// Blocking: run it with `runBlocking`. Entries that would reach outside `directory`
    /// (`..`, absolute paths, paths or hard links through symlinks), hard links to missing
    /// targets and truncated or corrupt archives fail the whole unpack; what was written
    /// so far stays inside `directory`, which the caller removes.
    public static func unpack(blob path: String, into directory: String, cancel: CancellationFlag) throws(BerthError) -> UnpackResult {
        let stream = try DecompressedStream(blob: path, cancel: cancel)
        let target = try LayerDirectory(path: directory)
        guard let tar = archive_read_new() else {
            throw BerthError(.internal, "unpack \(path): archive_read_new failed")
        }
        defer { archive_read_free(tar) }
        archive_read_support_format_tar(tar)
        return try withExtendedLifetime(stream) { () throws(BerthError) -> UnpackResult in
            let context = Unmanaged.passUnretained(stream).toOpaque()
            guard archive_read_open(tar, context, nil, readDecompressed, nil) == ARCHIVE_OK else {
                throw stream.failure ?? BerthError(.dataLoss, "unpack \(path): \(DecompressedStream.errorText(tar))")
            }
            let writer = LayerWriter(directory: target, tar: tar, stream: stream)
            var entries = 0
            while true {
                if cancel.isCancelled { throw BerthError(.cancelled, "unpack \(path): cancelled") }
                var entry: OpaquePointer?
                let status = archive_read_next_header(tar, &entry)
                if status == ARCHIVE_EOF { break }
                guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                    throw stream.failure ?? BerthError(
                        .dataLoss, "unpack \(path): after \(entries) entries: \(DecompressedStream.errorText(tar))")
                }
                entries += 1
                try writer.write(entry)
            }
            try writer.finish()
            try stream.drain()
            return UnpackResult(diffID: stream.digest(), uncompressedSize: stream.size, entries: entries)
        }
    }
}

/// The tar reader's source: the next decompressed block. Failures are kept in the stream
/// (libarchive only learns "read error").
private func readDecompressed(
    _ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> la_ssize_t {
    guard let context, let buffer else { return -1 }
    let stream = Unmanaged<DecompressedStream>.fromOpaque(context).takeUnretainedValue()
    do {
        let block = try stream.next()
        buffer.pointee = block.baseAddress
        return la_ssize_t(block.count)
    } catch {
        return -1
    }
}
