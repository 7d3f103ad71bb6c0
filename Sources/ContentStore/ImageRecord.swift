import BerthBase
import Foundation
import OCIImage

/// What Berth remembers about one pulled or imported image, keyed by its config digest
/// (the image id that CRI and `crictl images` show).
public struct ImageRecord: Codable, Sendable, Hashable {
    /// The config digest.
    public var id: Digest
    /// Normalised `name:tag` references pointing at this image.
    public var repoTags: [String]
    /// `name@digest` references, one per repository the image came from.
    public var repoDigests: [String]
    /// The manifest (not index) the image was built from.
    public var manifestDigest: Digest
    /// The manifest's media type.
    public var mediaType: String
    /// The config's media type, when the manifest named one.
    public var configMediaType: String?
    /// The layer descriptors, base layer first.
    public var layers: [Descriptor]
    /// The chain ID of each layer, base layer first; the keys of the unpacked snapshots.
    public var chainIDs: [Digest]
    /// Compressed size: manifest, config and layers.
    public var size: Int64
    /// The numeric user from the config's `User`, when it is numeric.
    public var uid: Int64?
    /// The user name from the config's `User`, when it is not numeric.
    public var username: String
    /// Pinned images are never garbage-collected.
    public var pinned: Bool
    /// When Berth stored the image.
    public var created: Date

    public init(
        id: Digest, repoTags: [String], repoDigests: [String], manifestDigest: Digest, mediaType: String,
        configMediaType: String?, layers: [Descriptor], chainIDs: [Digest], size: Int64, uid: Int64?,
        username: String, pinned: Bool = false, created: Date = Date()
    ) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.manifestDigest = manifestDigest
        self.mediaType = mediaType
        self.configMediaType = configMediaType
        self.layers = layers
        self.chainIDs = chainIDs
        self.size = size
        self.uid = uid
        self.username = username
        self.pinned = pinned
        self.created = created
    }
}
