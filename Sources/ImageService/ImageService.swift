import BerthBase
import CRI
import ContentStore
import Foundation
import ImageReference
import Logging
import OCIImage
import Registry
import Snapshots

/// The CRI ImageService: pull, list, inspect and remove images, over a content store,
/// a layer store and a registry client. One file per CRI method holds each entry point.
public final class ImageService: Sendable {
    let blobs: BlobStore
    let layers: LayerStore
    let catalog: ImageCatalog
    let registry: RegistryClient
    let ingest: ImageIngest
    let logger: Logger
    /// Where unpacked layers live; reported by `ImageFsInfo`.
    public let layersDirectory: String
    let temporaryDirectory: String

    /// Opens the stores under `root` and removes whatever a crash left half-done.
    public init(root: String, registry configuration: RegistryConfiguration, logger: Logger) throws(BerthError) {
        let content = "\(root)/content"
        layersDirectory = "\(root)/snapshots"
        temporaryDirectory = "\(root)/tmp"
        blobs = try BlobStore(root: content)
        layers = try LayerStore(root: layersDirectory)
        blobs.removeStaleIngests()
        layers.removeStaleStaging()
        try FileSystem.removeTree(temporaryDirectory)
        try FileSystem.makeDirectory(temporaryDirectory, mode: 0o700)
        catalog = ImageCatalog(store: try ImageRecordStore(root: content), blobs: blobs, layers: layers, logger: logger)
        registry = RegistryClient(configuration: configuration, logger: logger)
        ingest = ImageIngest(
            blobs: blobs, layers: layers, catalog: catalog,
            blobFlights: SingleFlight(), layerFlights: SingleFlight(),
            platform: configuration.platform,
            maxConcurrentLayers: configuration.maxConcurrentDownloads,
            logger: logger
        )
        self.logger = logger
    }

    /// Drops content that no image references, e.g. after a crash between a pull's download
    /// and its record. Run once at start.
    public func collectGarbage() async {
        await catalog.collectGarbage()
    }

    /// The record of an image, found by id, tag or digest.
    public func image(_ query: String) async -> ImageRecord? {
        await catalog.find(query)
    }

    /// The overlay a container root is built from: the image's layers plus the given upper and
    /// work directories.
    public func snapshot(for record: ImageRecord, upperDir: String, workDir: String) throws(BerthError) -> OverlaySnapshot {
        try layers.overlaySnapshot(chainIDs: record.chainIDs, upperDir: upperDir, workDir: workDir)
    }
}

/// The CRI `Image` message for a record.
extension ImageRecord {
    var criImage: Runtime_V1_Image {
        var image = Runtime_V1_Image()
        image.id = id.description
        image.repoTags = repoTags
        image.repoDigests = repoDigests
        image.size = UInt64(max(0, size))
        if let uid {
            var value = Runtime_V1_Int64Value()
            value.value = uid
            image.uid = value
        }
        image.username = username
        var spec = Runtime_V1_ImageSpec()
        spec.image = id.description
        image.spec = spec
        image.pinned = pinned
        return image
    }
}
