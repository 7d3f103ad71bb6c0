import BerthBase
import Foundation

/// What the store records about one unpacked layer, next to its directory.
public struct LayerMetadata: Sendable, Hashable, Codable {
    /// The chain ID the layer is stored under (its identity given all layers below it).
    public var chainID: Digest
    /// The sha256 of the layer's uncompressed tar, when the committer gave it.
    public var diffID: Digest?
    /// Bytes in the uncompressed tar, when the committer gave it.
    public var size: Int64?
    /// When the layer was committed.
    public var createdAt: Date

    public init(chainID: Digest, diffID: Digest? = nil, size: Int64? = nil, createdAt: Date = Date()) {
        self.chainID = chainID
        self.diffID = diffID
        self.size = size
        self.createdAt = createdAt
    }
}
