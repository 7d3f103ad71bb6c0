import BerthBase
import ContentStore
import Foundation
import Logging
import OCIImage
import Snapshots
import Unpack

/// Brings one image from a content source into the stores: manifest, config, every layer
/// verified and unpacked once, then the record. Pull and import both go through here.
struct ImageIngest: Sendable {
    let blobs: BlobStore
    let layers: LayerStore
    let catalog: ImageCatalog
    let blobFlights: SingleFlight<Digest, Void>
    let layerFlights: SingleFlight<Digest, Void>
    let platform: Platform
    let maxConcurrentLayers: Int
    let logger: Logger

    /// The names the new record gets.
    struct Names: Sendable {
        var repoTags: [String] = []
        var repoDigests: [String] = []
    }

    func ingest(from source: some ContentSource, top: Descriptor, topBytes: [UInt8], names: Names, progress: ProgressSink?) async throws -> ImageRecord {
        var leased = [top.digest]
        await catalog.lease(leased)
        do {
            let record = try await ingestLeased(from: source, top: top, topBytes: topBytes, names: names, progress: progress, leased: &leased)
            await catalog.release(leased)
            return record
        } catch {
            // What a failed pull fetched is referenced by nothing: drop it now, not at next start.
            await catalog.release(leased)
            await catalog.collectGarbage()
            throw error
        }
    }

    private func ingestLeased(
        from source: some ContentSource, top: Descriptor, topBytes: [UInt8], names: Names, progress: ProgressSink?, leased: inout [Digest]
    ) async throws -> ImageRecord {
        let (manifestDescriptor, manifest) = try await resolveManifest(from: source, top: top, topBytes: topBytes, leased: &leased)
        let contentDigests = [manifest.config.digest] + manifest.layers.map(\.digest)
        await catalog.lease(contentDigests)
        leased += contentDigests

        let configBytes = try await configBytes(from: source, manifest.config)
        let config: ImageConfig
        do {
            config = try JSONDecoder().decode(ImageConfig.self, from: Data(configBytes))
        } catch {
            throw BerthError(.invalidArgument, "config \(manifest.config.digest): not a valid image config: \(error)")
        }
        let diffIDs = config.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw BerthError(.invalidArgument, "config \(manifest.config.digest): lists \(diffIDs.count) diff_ids for \(manifest.layers.count) layers")
        }
        let chainIDs = OCIImage.chainIDs(for: diffIDs)
        await catalog.lease(chainIDs)
        leased += chainIDs

        try await ensureLayers(from: source, manifest.layers, diffIDs: diffIDs, chainIDs: chainIDs, progress: progress)

        let user = ImageUser(configUser: config.config?.user)
        let record = ImageRecord(
            id: manifest.config.digest,
            repoTags: names.repoTags,
            repoDigests: names.repoDigests,
            manifestDigest: manifestDescriptor.digest,
            mediaType: manifestDescriptor.mediaType,
            configMediaType: manifest.config.mediaType,
            layers: manifest.layers,
            chainIDs: chainIDs,
            size: manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size },
            uid: user.uid,
            username: user.username,
            pinned: false,
            created: Date()
        )
        return try await catalog.commit(record)
    }

    /// Stores the top-level document and, for an index, picks and stores the platform's manifest.
    private func resolveManifest(
        from source: some ContentSource, top: Descriptor, topBytes: [UInt8], leased: inout [Digest]
    ) async throws -> (Descriptor, Manifest) {
        var descriptor = top
        var bytes = topBytes
        for _ in 0..<2 {
            try storeDocument(bytes, descriptor.digest)
            switch try ManifestDocument.parse(bytes, mediaType: descriptor.mediaType) {
            case .manifest(let manifest):
                descriptor.mediaType = manifest.mediaType ?? descriptor.mediaType
                return (descriptor, manifest)
            case .index(let index):
                descriptor = try selectManifest(from: index, for: platform)
                await catalog.lease([descriptor.digest])
                leased.append(descriptor.digest)
                bytes = try await source.manifest(descriptor)
            }
        }
        throw BerthError(.invalidArgument, "\(source.name): index nested too deeply")
    }

    private func storeDocument(_ bytes: [UInt8], _ digest: Digest) throws {
        guard !blobs.contains(digest) else { return }
        _ = try blobs.write(bytes, expected: digest)
    }

    private func configBytes(from source: some ContentSource, _ descriptor: Descriptor) async throws -> [UInt8] {
        if !blobs.contains(descriptor.digest) {
            try await fetch(from: source, descriptor, progress: nil)
        }
        return try blobs.read(descriptor.digest)
    }

    /// Downloads a blob once, however many pulls want it at the same moment.
    private func fetch(from source: some ContentSource, _ descriptor: Descriptor, progress: ProgressSink?) async throws {
        let blobs = self.blobs
        try await blobFlights.run(descriptor.digest) {
            guard !blobs.contains(descriptor.digest) else { return }
            let writer = try blobs.ingest(expected: descriptor.digest, size: descriptor.size)
            do {
                try await source.blob(descriptor, into: writer) { current in
                    progress?(PullProgress(layer: descriptor.digest.description, status: .downloading, current: current, total: descriptor.size))
                }
                progress?(PullProgress(layer: descriptor.digest.description, status: .verifying, current: descriptor.size, total: descriptor.size))
                _ = try writer.commit()
            } catch {
                writer.abort()
                throw BerthError.wrapping(error, context: "blob \(descriptor.digest)")
            }
        }
    }

    /// Makes sure every layer is unpacked, at most `maxConcurrentLayers` at once. Layers are
    /// independent directories, so they download and unpack in parallel.
    private func ensureLayers(from source: some ContentSource, _ descriptors: [Descriptor], diffIDs: [Digest], chainIDs: [Digest], progress: ProgressSink?) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                let index = next
                next += 1
                group.addTask {
                    try await ensureLayer(from: source, descriptors[index], diffID: diffIDs[index], chainID: chainIDs[index], progress: progress)
                }
            }
            while next < descriptors.count && next < max(1, maxConcurrentLayers) { startNext() }
            while try await group.next() != nil {
                if next < descriptors.count { startNext() }
            }
        }
    }

    private func ensureLayer(from source: some ContentSource, _ descriptor: Descriptor, diffID: Digest, chainID: Digest, progress: ProgressSink?) async throws {
        let name = descriptor.digest.description
        if layers.contains(chainID) {
            progress?(PullProgress(layer: name, status: .exists, current: descriptor.size, total: descriptor.size))
            return
        }
        progress?(PullProgress(layer: name, status: .waiting, current: 0, total: descriptor.size))
        let layers = self.layers
        let blobs = self.blobs
        let logger = self.logger
        try await layerFlights.run(chainID) {
            guard !layers.contains(chainID) else { return }
            if !blobs.contains(descriptor.digest) {
                try await fetch(from: source, descriptor, progress: progress)
            }
            progress?(PullProgress(layer: name, status: .unpacking, current: descriptor.size, total: descriptor.size))
            let started = ContinuousClock.now
            let staging = try layers.stagingDirectory(for: chainID)
            do {
                let blobPath = blobs.path(for: descriptor.digest)
                let result = try await runBlocking(name: "berth-unpack") { flag in
                    try LayerUnpacker.unpack(blob: blobPath, into: staging, cancel: flag)
                }
                guard result.diffID == diffID else {
                    throw BerthError(.invalidArgument, "uncompressed content is \(result.diffID) but the image config's diff_id is \(diffID)")
                }
                try layers.commit(staging: staging, as: chainID, metadata: LayerMetadata(chainID: chainID, diffID: diffID, size: result.uncompressedSize))
                logger.debug("unpacked layer", metadata: [
                    "digest": "\(descriptor.digest)", "chain-id": "\(chainID)",
                    "bytes": "\(result.uncompressedSize)", "duration": "\(ContinuousClock.now - started)",
                ])
            } catch {
                try? FileSystem.removeTree((staging as NSString).deletingLastPathComponent)
                throw BerthError.wrapping(error, context: "layer \(descriptor.digest)")
            }
        }
        progress?(PullProgress(layer: name, status: .done, current: descriptor.size, total: descriptor.size))
    }
}
