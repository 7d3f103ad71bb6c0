import BerthBase
import ContentStore
import Foundation
import OCIImage
import Snapshots

/// What the runtime needs of images: their configs, their layers, and a hold on those layers
/// for as long as a container is built on them.
extension ImageService {
    /// The image's config, as stored when it was pulled.
    public func config(of record: ImageRecord) throws(BerthError) -> ImageConfig {
        let bytes = try blobs.read(record.id)
        do {
            return try JSONDecoder().decode(ImageConfig.self, from: Data(bytes))
        } catch {
            throw BerthError(.dataLoss, "image \(record.id): config does not decode: \(error)")
        }
    }

    /// The image's layer directories, top-most first.
    public func layerDirectories(of record: ImageRecord) -> [String] {
        record.chainIDs.reversed().map(layers.diffPath)
    }

    /// A read-only view of the image (image volumes).
    public func readOnlySnapshot(of record: ImageRecord) throws(BerthError) -> OverlaySnapshot {
        try layers.readOnlySnapshot(chainIDs: record.chainIDs)
    }

    /// Keeps layers from garbage collection (a container uses them) until `release`, even when
    /// their image is removed.
    public func hold(chainIDs: [String]) async {
        await catalog.lease(chainIDs.compactMap { try? Digest(parsing: $0) })
    }

    /// Releases a container's hold; collects garbage only when that left layers unreferenced
    /// (their image was removed while the container used it), so removing a container of a
    /// present image costs no scan of the stores.
    public func release(chainIDs: [String]) async {
        if await catalog.release(chainIDs.compactMap { try? Digest(parsing: $0) }) {
            await catalog.collectGarbage()
        }
    }
}
