import BerthBase
import ContentStore
import Foundation
import OCIImage
import Testing

@Suite struct ImageRecordStoreTests {
    func record(_ seed: String, tags: [String]) -> ImageRecord {
        let config = SHA256Hasher.digest(Array("config \(seed)".utf8))
        let layer = Descriptor(mediaType: MediaType.ociLayerGzip, digest: SHA256Hasher.digest(Array("layer \(seed)".utf8)), size: 1234)
        return ImageRecord(
            id: config, repoTags: tags, repoDigests: ["docker.io/library/busybox@\(SHA256Hasher.digest(Array(seed.utf8)))"],
            manifestDigest: SHA256Hasher.digest(Array("manifest \(seed)".utf8)), mediaType: MediaType.ociManifest,
            configMediaType: MediaType.ociConfig, layers: [layer], chainIDs: [layer.digest], size: 2000,
            uid: 1000, username: "", pinned: seed == "a", created: Date(timeIntervalSince1970: 1_700_000_000.123456)
        )
    }

    @Test func recordsSurviveReopening() throws {
        try withTemporaryDirectory { root in
            let a = record("a", tags: ["docker.io/library/busybox:latest"])
            let b = record("b", tags: [])
            let store = try ImageRecordStore(root: root)
            try store.put(a)
            try store.put(b)
            #expect(FileSystem.exists("\(root)/images/\(a.id.encoded).json"))

            let reopened = try ImageRecordStore(root: root)
            #expect(reopened.get(a.id) == a)
            #expect(Set(reopened.all()) == [a, b])

            var retagged = a
            retagged.repoTags = []
            try reopened.put(retagged)
            #expect(try ImageRecordStore(root: root).get(a.id) == retagged)

            try reopened.delete(b.id)
            #expect(reopened.get(b.id) == nil)
            #expect(reopened.all() == [retagged])
            try reopened.delete(b.id)
        }
    }

    @Test func corruptRecordsAreSkipped() throws {
        try withTemporaryDirectory { root in
            let good = record("good", tags: ["docker.io/library/good:1"])
            let store = try ImageRecordStore(root: root)
            try store.put(good)
            let corrupt = SHA256Hasher.digest(Array("corrupt".utf8))
            try FileSystem.atomicWrite(Array("{\"id\": \"sha256:".utf8), to: "\(root)/images/\(corrupt.encoded).json")

            #expect(store.all() == [good])
            #expect(store.get(corrupt) == nil)
        }
    }
}
