import BerthBase

/// What unpacking one layer produced.
public struct UnpackResult: Sendable, Hashable {
    /// The sha256 of the whole uncompressed tar stream: the layer's entry in the image
    /// config's `rootfs.diff_ids`.
    public var diffID: Digest
    /// Bytes in the uncompressed tar stream.
    public var uncompressedSize: Int64
    /// Tar entries read, whiteouts included.
    public var entries: Int

    public init(diffID: Digest, uncompressedSize: Int64, entries: Int) {
        self.diffID = diffID
        self.uncompressedSize = uncompressedSize
        self.entries = entries
    }
}
