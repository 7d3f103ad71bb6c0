import BerthBase
import ContentStore
import Foundation
import ImageReference
import OCIImage
import Registry
import Synchronization
import Testing

@Suite(.enabled(if: LocalRegistry.isAvailable, "needs /usr/bin/docker-registry (apt-get install docker-registry)"))
struct PullTests {
    @Test func resolveByTagThenFetchManifestAndBlobs() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let reference = try Reference(parsing: "\(registry.host)/team/app:v1")
            let image = try await pushImage(client, to: reference, layerSize: 3_000_000)

            let resolved = try await client.resolve(reference, credentials: nil)
            #expect(resolved.descriptor == image.manifest)
            #expect(resolved.bytes == image.manifestBytes)

            let fetched = try await client.fetchManifest(reference, digest: image.manifest.digest, credentials: nil)
            #expect(fetched.mediaType == MediaType.ociManifest)
            #expect(fetched.bytes == image.manifestBytes)

            try await withTemporaryDirectory { root in
                let store = try BlobStore(root: root)
                let writer = try store.ingest(expected: image.layer.digest, size: image.layer.size)
                let reports = Mutex<[Int64]>([])
                try await client.fetchBlob(reference, descriptor: image.layer, credentials: nil, into: writer) { bytes in
                    reports.withLock { $0.append(bytes) }
                }
                #expect(try writer.commit() == image.layer.digest)
                #expect(try store.read(image.layer.digest) == image.layerBytes)
                let progress = reports.withLock { $0 }
                #expect(progress.last == image.layer.size)
                #expect(progress == progress.sorted())
            }
        }
    }

    @Test func resolveByDigest() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let tagged = try Reference(parsing: "\(registry.host)/app:v1")
            let image = try await pushImage(client, to: tagged)
            let pinned = try Reference(parsing: "\(registry.host)/app@\(image.manifest.digest)")

            let resolved = try await client.resolve(pinned, credentials: nil)
            #expect(resolved.descriptor == image.manifest)
            #expect(resolved.bytes == image.manifestBytes)
        }
    }

    @Test func indexThenPlatformManifest() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let repository = try Reference(parsing: "\(registry.host)/multi:latest")
            let amd64 = try await pushImage(client, to: try repository.withTag("amd64"), architecture: "amd64")
            let arm64 = try await pushImage(client, to: try repository.withTag("arm64"), architecture: "arm64")
            let index = Index(manifests: [
                Descriptor(mediaType: amd64.manifest.mediaType, digest: amd64.manifest.digest, size: amd64.manifest.size, platform: .linuxAMD64),
                Descriptor(mediaType: arm64.manifest.mediaType, digest: arm64.manifest.digest, size: arm64.manifest.size,
                           platform: Platform(os: "linux", architecture: "arm64")),
            ])
            let indexBytes = try encodeJSON(index)
            try await client.pushManifest(repository, mediaType: MediaType.ociIndex, bytes: indexBytes, credentials: nil)

            let resolved = try await client.resolve(repository, credentials: nil)
            #expect(resolved.descriptor.mediaType == MediaType.ociIndex)
            #expect(resolved.descriptor.digest == SHA256Hasher.digest(indexBytes))
            let decoded = try JSONDecoder().decode(Index.self, from: Data(resolved.bytes))
            let chosen = try #require(decoded.manifests.first { $0.platform == .linuxAMD64 })

            let manifest = try await client.fetchManifest(repository, digest: chosen.digest, credentials: nil)
            #expect(manifest.mediaType == MediaType.ociManifest)
            #expect(manifest.bytes == amd64.manifestBytes)
        }
    }

    @Test func missingTagIsNotFound() async throws {
        try await withLocalRegistry { registry in
            let reference = try Reference(parsing: "\(registry.host)/library/nope:latest")
            let error = await #expect(throws: BerthError.self) { try await makeClient().resolve(reference, credentials: nil) }
            #expect(error?.code == .notFound)
            #expect(error?.message == "\(registry.host)/library/nope:latest: not found")
        }
    }

    @Test func missingBlobIsNotFound() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let reference = try Reference(parsing: "\(registry.host)/app:v1")
            _ = try await pushImage(client, to: reference)
            let absent = Descriptor(mediaType: MediaType.ociLayerGzip, digest: SHA256Hasher.digest(randomBytes(8)), size: 8)
            try await withTemporaryDirectory { root in
                let writer = try BlobStore(root: root).ingest(expected: absent.digest, size: absent.size)
                let error = await #expect(throws: BerthError.self) {
                    try await client.fetchBlob(reference, descriptor: absent, credentials: nil, into: writer)
                }
                #expect(error?.code == .notFound)
                #expect(error?.message == "\(registry.host)/app: blob \(absent.digest): not found")
            }
        }
    }

    @Test func corruptBlobIsNeverCommitted() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let reference = try Reference(parsing: "\(registry.host)/app:v1")
            let image = try await pushImage(client, to: reference)
            try rewriteStoredBlob(image.layer.digest, in: registry) { $0[$0.count / 2] ^= 0xff }

            try await withTemporaryDirectory { root in
                let store = try BlobStore(root: root)
                let writer = try store.ingest(expected: image.layer.digest, size: image.layer.size)
                try await client.fetchBlob(reference, descriptor: image.layer, credentials: nil, into: writer)
                let error = #expect(throws: BerthError.self) { try writer.commit() }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains("blob \(image.layer.digest): digest mismatch (got sha256:") == true)
                #expect(store.all().isEmpty)
                #expect(FileSystem.list("\(root)/ingest").isEmpty)
            }
        }
    }

    @Test func corruptManifestIsRefused() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let reference = try Reference(parsing: "\(registry.host)/app:v1")
            let image = try await pushImage(client, to: reference)
            // Still valid JSON, so only the digest can tell.
            try rewriteStoredBlob(image.manifest.digest, in: registry) { bytes in
                bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"size\":", with: "\"size\" :").utf8)
            }

            for pinned in [false, true] {
                let target = pinned ? reference.withDigest(image.manifest.digest) : reference
                let error = await #expect(throws: BerthError.self) { try await client.resolve(target, credentials: nil) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains("manifest \(image.manifest.digest) from http://\(registry.host): digest mismatch (got sha256:") == true)
            }
            let error = await #expect(throws: BerthError.self) {
                try await client.fetchManifest(reference, digest: image.manifest.digest, credentials: nil)
            }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func blobLargerThanDeclaredIsRefused() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let reference = try Reference(parsing: "\(registry.host)/app:v1")
            let image = try await pushImage(client, to: reference)
            var understated = image.layer
            understated.size -= 10

            try await withTemporaryDirectory { root in
                let store = try BlobStore(root: root)
                let writer = try store.ingest(expected: understated.digest, size: understated.size)
                let error = await #expect(throws: BerthError.self) {
                    try await client.fetchBlob(reference, descriptor: understated, credentials: nil, into: writer)
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.hasSuffix("size exceeds declared \(understated.size) bytes") == true)
                writer.abort()
                #expect(store.all().isEmpty)
            }
        }
    }

    @Test func pushBlobFromFile() async throws {
        try await withLocalRegistry { registry in
            let client = makeClient()
            let reference = try Reference(parsing: "\(registry.host)/files:v1")
            try await withTemporaryDirectory { root in
                let bytes = randomBytes(2_500_000)
                let digest = SHA256Hasher.digest(bytes)
                try FileSystem.atomicWrite(bytes, to: "\(root)/blob")
                try await client.pushBlob(reference, digest: digest, file: "\(root)/blob", credentials: nil)
                // A second push finds the blob already there.
                try await client.pushBlob(reference, digest: digest, file: "\(root)/blob", credentials: nil)

                let store = try BlobStore(root: "\(root)/store")
                let writer = try store.ingest(expected: digest, size: Int64(bytes.count))
                let descriptor = Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: Int64(bytes.count))
                try await client.fetchBlob(reference, descriptor: descriptor, credentials: nil, into: writer)
                try writer.commit()
                #expect(try store.read(digest) == bytes)
            }
        }
    }
}
