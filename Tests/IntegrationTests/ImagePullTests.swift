import BerthBase
import BerthClient
import CRI
import Foundation
import Testing

@Suite(.enabled(if: TestEnvironment.ready, TestEnvironment.reason), .serialized)
struct ImagePullTests {
    @Test func pullListInspectRemoveLeavesNothing() async throws {
        let daemon = try await Berthd.started()
        let image = ref("busybox:latest")
        let id = try await daemon.client.pullImage(image)
        #expect(id.hasPrefix("sha256:"))

        let listed = try await daemon.client.listImages()
        #expect(listed.map(\.id) == [id])
        #expect(listed.first?.repoTags == [image])
        #expect(listed.first?.repoDigests.first?.hasPrefix(ref("busybox@sha256:")) == true)

        let status = try await daemon.client.imageStatus(image, verbose: true)
        #expect(status.image.id == id)
        let info = try #require(status.info["info"])
        #expect(info.contains("\"imageSpec\""))
        #expect(info.contains("\"diff_ids\""))
        #expect(daemon.entries("snapshots/layers").count == 1)

        try await daemon.client.removeImage(image)
        #expect(try await daemon.client.listImages().isEmpty)
        #expect(daemon.entries("snapshots/layers").isEmpty)
        #expect(daemon.entries("content/blobs/sha256").isEmpty)
        #expect(daemon.entries("content/images").isEmpty)
        await daemon.destroy()
    }

    @Test func layersAreUnpackedOnceAndShared() async throws {
        let daemon = try await Berthd.started()
        _ = try await daemon.client.pullImage(ref("busybox-distinct-1"))
        _ = try await daemon.client.pullImage(ref("busybox-distinct-2"))
        // Both images share the busybox base layer: three layer directories, not four.
        #expect(daemon.entries("snapshots/layers").count == 3)
        try await daemon.client.removeImage(ref("busybox-distinct-1"))
        #expect(daemon.entries("snapshots/layers").count == 2)
        let status = try await daemon.client.imageStatus(ref("busybox-distinct-2"), verbose: false)
        #expect(!status.image.id.isEmpty)
        try await daemon.client.removeImage(ref("busybox-distinct-2"))
        #expect(daemon.entries("snapshots/layers").isEmpty)
        await daemon.destroy()
    }

    /// A `tar+zstd` layer next to a `tar+gzip` one: both verified and unpacked by a pull
    /// through berthd, the zstd layer's file in place.
    @Test func zstdLayerIsPulledAndUnpacked() async throws {
        let daemon = try await Berthd.started()
        let id = try await daemon.client.pullImage(ref("busybox-zstd"))
        #expect(id.hasPrefix("sha256:"))
        let layers = daemon.entries("snapshots/layers")
        #expect(layers.count == 2)
        let greetings = layers.compactMap { layer in
            (try? FileSystem.read("\(daemon.root)/snapshots/layers/\(layer)/diff/zstd/greeting")).flatMap { $0 }
        }
        #expect(greetings.map { String(decoding: $0, as: UTF8.self) } == ["unpacked from zstd\n"])
        try await daemon.client.removeImage(ref("busybox-zstd"))
        #expect(daemon.entries("snapshots/layers").isEmpty)
        await daemon.destroy()
    }

    @Test func concurrentPullsOfImagesSharingLayers() async throws {
        let daemon = try await Berthd.started()
        let client = daemon.client
        try await withThrowingTaskGroup(of: String.self) { group in
            for name in ["busybox-distinct-1", "busybox-distinct-2", "busybox-distinct-3", "busybox", "busybox-user-1002"] {
                group.addTask { try await client.pullImage(ref(name)) }
            }
            for try await id in group { #expect(id.hasPrefix("sha256:")) }
        }
        #expect(try await client.listImages().count == 5)
        // busybox and the USER variants share one layer; each distinct image adds one.
        #expect(daemon.entries("snapshots/layers").count == 4)
        await daemon.destroy()
    }

    @Test func removeDuringPullOfSharedImageKeepsTheLayer() async throws {
        let daemon = try await Berthd.started()
        let client = daemon.client
        _ = try await client.pullImage(ref("busybox-distinct-1"))
        async let pulled = client.pullImage(ref("busybox-distinct-2"))
        try await client.removeImage(ref("busybox-distinct-1"))
        _ = try await pulled
        #expect(daemon.entries("snapshots/layers").count == 2)
        let status = try await client.imageStatus(ref("busybox-distinct-2"), verbose: true)
        #expect(!status.image.id.isEmpty)
        await daemon.destroy()
    }

    @Test func mirrorServesAnotherRegistryUnderItsOriginalName() async throws {
        let daemon = try await Berthd.started(extraConfig: """
            [registry.hosts."registry.k8s.io"]
            mirrors = ["http://127.0.0.1:1", "http://\(TestEnvironment.registry)"]
            """)
        let id = try await daemon.client.pullImage("registry.k8s.io/busybox:1.35")
        let status = try await daemon.client.imageStatus("registry.k8s.io/busybox:1.35", verbose: false)
        #expect(status.image.id == id)
        #expect(status.image.repoTags == ["registry.k8s.io/busybox:1.35"])
        await daemon.destroy()
    }

    @Test func killedMidPullLeavesAConsistentStoreAndTheNextPullSucceeds() async throws {
        let daemon = try await Berthd.started()
        let client = daemon.client
        let image = ref("large:latest")
        let pull = Task { try await client.pullImage(image) }
        // Wait until content is arriving, then kill the daemon without warning.
        for _ in 0..<400 {
            if !daemon.entries("content/ingest").isEmpty || !daemon.entries("snapshots/staging").isEmpty { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(daemon.stop(signal: SIGKILL) == SIGKILL)
        _ = await pull.result

        try await daemon.start()
        #expect(daemon.entries("content/ingest").isEmpty)
        #expect(daemon.entries("snapshots/staging").isEmpty)
        #expect(try await client.listImages().isEmpty)
        // No layer without an image, no blob without an image.
        #expect(daemon.entries("snapshots/layers").isEmpty)
        #expect(daemon.entries("content/blobs/sha256").isEmpty)

        let id = try await client.pullImage(image)
        let status = try await client.imageStatus(image, verbose: false)
        #expect(status.image.id == id)
        #expect(daemon.entries("snapshots/layers").count >= 5)
        await daemon.destroy()
    }

    @Test func failedPullsLeaveNothingBehind() async throws {
        let daemon = try await Berthd.started()
        await #expect(throws: BerthError.self) { try await daemon.client.pullImage(ref("no-such-image:latest")) }
        let zeros = String(repeating: "0", count: 64)
        await #expect(throws: BerthError.self) { try await daemon.client.pullImage(ref("busybox@sha256:\(zeros)")) }
        do {
            _ = try await daemon.client.pullImage("127.0.0.1:1/busybox:latest")
            Issue.record("pull from a closed port succeeded")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("127.0.0.1:1"))
        }
        #expect(try await daemon.client.listImages().isEmpty)
        #expect(daemon.entries("content/blobs/sha256").isEmpty)
        #expect(daemon.entries("snapshots/layers").isEmpty)
        await daemon.destroy()
    }

    @Test func expiredDeadlineFailsWithDeadlineExceeded() async throws {
        let daemon = try await Berthd.started()
        do {
            _ = try await daemon.client.pullImage(ref("large:latest"), timeout: .milliseconds(50))
            Issue.record("pull finished within 50 ms")
        } catch {
            #expect(error.code == .deadlineExceeded)
        }
        // Let the cancelled work wind down, then nothing of it may remain.
        try await Task.sleep(for: .seconds(1))
        #expect(daemon.entries("content/ingest").isEmpty)
        #expect(daemon.entries("snapshots/staging").isEmpty)
        await daemon.destroy()
    }
}
