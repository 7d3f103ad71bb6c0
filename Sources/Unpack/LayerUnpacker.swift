import BerthBase

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
        let tar = TarReader(stream: stream, blobPath: path)
        let writer = LayerWriter(directory: target, tar: tar)
        var entries = 0
        while let entry = try tar.next() {
            if cancel.isCancelled { throw BerthError(.cancelled, "unpack \(path): cancelled") }
            entries += 1
            try writer.write(entry)
        }
        try writer.finish()
        try stream.drain()
        return UnpackResult(diffID: stream.digest(), uncompressedSize: stream.size, entries: entries)
    }
}
