import BerthBase
import ContentStore
import Foundation
import Testing

@Suite struct BlobStoreTests {
    @Test func writeThenReadBack() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let bytes = Array("hello, berth".utf8)
            let digest = try store.write(bytes)

            #expect(digest == SHA256Hasher.digest(bytes))
            #expect(store.path(for: digest) == "\(root)/blobs/sha256/\(digest.encoded)")
            #expect(store.contains(digest))
            #expect(store.size(of: digest) == Int64(bytes.count))
            #expect(try store.read(digest) == bytes)
            #expect(store.all() == [digest])

            // Writing the same content again is a no-op that returns the same digest.
            #expect(try store.write(bytes, expected: digest) == digest)
            #expect(store.all() == [digest])

            #expect(store.delete(digest))
            #expect(!store.contains(digest))
            #expect(store.size(of: digest) == nil)
            #expect(store.all().isEmpty)
            #expect(store.delete(digest))
        }
    }

    @Test func readingAnAbsentBlobIsNotFound() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let digest = SHA256Hasher.digest(Array("never written".utf8))
            let error = #expect(throws: BerthError.self) { try store.read(digest) }
            #expect(error?.code == .notFound)
            #expect(error?.message == "blob \(digest): not found")
        }
    }

    @Test func writeWithWrongExpectedDigestIsRefused() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let wrong = SHA256Hasher.digest(Array("other".utf8))
            let error = #expect(throws: BerthError.self) { try store.write(Array("content".utf8), expected: wrong) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("digest mismatch (got sha256:") == true)
            #expect(store.all().isEmpty)
        }
    }

    @Test func ingestIsInvisibleUntilCommitted() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let bytes = [UInt8](repeating: 7, count: 300_000)
            let digest = SHA256Hasher.digest(bytes)
            let writer = try store.ingest(expected: digest, size: Int64(bytes.count))

            try writer.write(Array(bytes[..<100_000]))
            #expect(writer.written == 100_000)
            #expect(!store.contains(digest))
            #expect(!FileSystem.exists(store.path(for: digest)))
            #expect(FileSystem.list("\(root)/ingest").count == 1)

            try writer.write(Array(bytes[100_000...]))
            #expect(try writer.commit() == digest)
            #expect(try store.read(digest) == bytes)
            #expect(FileSystem.list("\(root)/ingest").isEmpty)
        }
    }

    @Test func digestMismatchLeavesNothing() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let claimed = SHA256Hasher.digest(Array("the real layer".utf8))
            let writer = try store.ingest(expected: claimed, size: 14)
            try writer.write(Array("a forged layer".utf8))

            let error = #expect(throws: BerthError.self) { try writer.commit() }
            #expect(error?.code == .invalidArgument)
            let actual = SHA256Hasher.digest(Array("a forged layer".utf8))
            #expect(error?.message == "blob \(claimed): digest mismatch (got \(actual))")
            #expect(store.all().isEmpty)
            #expect(FileSystem.list("\(root)/ingest").isEmpty)
        }
    }

    @Test func oversizeContentIsRefused() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let bytes = Array("12345".utf8)
            let writer = try store.ingest(expected: SHA256Hasher.digest(bytes), size: 4)
            try writer.write(Array("123".utf8))
            let error = #expect(throws: BerthError.self) { try writer.write(Array("45".utf8)) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasSuffix("size exceeds declared 4 bytes") == true)
            #expect(writer.written == 3)
            writer.abort()
            #expect(store.all().isEmpty)
            #expect(FileSystem.list("\(root)/ingest").isEmpty)
        }
    }

    @Test func shortContentIsRefused() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let bytes = Array("12345".utf8)
            let writer = try store.ingest(expected: SHA256Hasher.digest(bytes), size: 6)
            try writer.write(bytes)
            let error = #expect(throws: BerthError.self) { try writer.commit() }
            #expect(error?.message.hasSuffix("size mismatch (got 5 bytes, declared 6)") == true)
            #expect(store.all().isEmpty)
            #expect(FileSystem.list("\(root)/ingest").isEmpty)
        }
    }

    @Test func droppedWriterRemovesItsIngestFile() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            do {
                let writer = try store.ingest(expected: SHA256Hasher.digest([1, 2, 3]), size: nil)
                try writer.write([1, 2])
                #expect(FileSystem.list("\(root)/ingest").count == 1)
            }
            #expect(FileSystem.list("\(root)/ingest").isEmpty)
        }
    }

    @Test func concurrentWritersOfOneDigestAllSucceed() throws {
        try withTemporaryDirectory { root in
            let store = try BlobStore(root: root)
            let bytes = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let digest = SHA256Hasher.digest(bytes)
            let writers = 8
            let results = Results(count: writers)

            DispatchQueue.concurrentPerform(iterations: writers) { index in
                results.set(index, Result { () throws(BerthError) -> Digest in
                    let writer = try store.ingest(expected: digest, size: Int64(bytes.count))
                    var offset = 0
                    while offset < bytes.count {
                        let end = min(offset + 65_536, bytes.count)
                        try writer.write(Array(bytes[offset..<end]))
                        offset = end
                    }
                    return try writer.commit()
                })
            }

            for result in results.all {
                #expect(try result.get() == digest)
            }
            #expect(store.all() == [digest])
            #expect(try store.read(digest) == bytes)
            #expect(FileSystem.list("\(root)/ingest").isEmpty)
        }
    }

    @Test func staleIngestsAreRemovedAtStart() throws {
        try withTemporaryDirectory { root in
            let committed = try BlobStore(root: root).write(Array("kept".utf8))

            // What a pull killed with SIGKILL leaves: partial ingest files nobody will finish.
            let interrupted = try BlobStore(root: root).ingest(expected: SHA256Hasher.digest([9]), size: nil)
            try interrupted.write([1, 2, 3])
            try FileSystem.atomicWrite(Array("partial".utf8), to: "\(root)/ingest/\(committed.encoded)-1-dead")
            #expect(FileSystem.list("\(root)/ingest").count == 2)

            let restarted = try BlobStore(root: root)
            #expect(restarted.removeStaleIngests() == 2)
            #expect(FileSystem.list("\(root)/ingest").isEmpty)
            #expect(restarted.all() == [committed])
            withExtendedLifetime(interrupted) {}
        }
    }
}

/// Results gathered from concurrent workers, one slot each.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Digest, BerthError>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<Digest, BerthError>) {
        lock.withLock { slots[index] = result }
    }

    var all: [Result<Digest, BerthError>] {
        lock.withLock { slots.compactMap { $0 } }
    }
}
