import BerthBase
import ContentStore
import Foundation
import HTTPClient
import ImageReference
import OCIImage
import Registry
import Testing

@Suite struct FailureTests {
    @Test func cancellingAPullFromAStalledRegistryStopsIt() async throws {
        let stalled = try SilentListener()
        let client = makeClient()
        let reference = try Reference(parsing: "127.0.0.1:\(stalled.port)/app:v1")
        let pull = Task { try await client.resolve(reference, credentials: nil) }
        try await Task.sleep(for: .milliseconds(300))
        // Timed from the cancel: parallel tests that start registries can hold the sleep up.
        let cancelled = ContinuousClock.now
        pull.cancel()

        let result = await pull.result
        let elapsed = ContinuousClock.now - cancelled
        guard case .failure(let error) = result else {
            Issue.record("a stalled registry answered")
            return
        }
        let berthError = try #require(error as? BerthError)
        #expect(berthError.code == .cancelled)
        #expect(berthError.message.hasPrefix(reference.description))
        // The transfer checks its flag every 250 ms, even while nothing arrives.
        #expect(elapsed < .seconds(5))
        withExtendedLifetime(stalled) {}
    }

    @Test func stalledRegistryTimesOut() async throws {
        let stalled = try SilentListener()
        let client = makeClient(options: TransferOptions(connectTimeout: 2, lowSpeedBytes: 1, lowSpeedSeconds: 2, proxies: .environment))
        let reference = try Reference(parsing: "127.0.0.1:\(stalled.port)/app:v1")
        let started = ContinuousClock.now
        let error = await #expect(throws: BerthError.self) { try await client.resolve(reference, credentials: nil) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("http://127.0.0.1:\(stalled.port)") == true)
        #expect(ContinuousClock.now - started < .seconds(15))
        withExtendedLifetime(stalled) {}
    }

    @Test func alreadyCancelledTaskStartsNoTransfer() async throws {
        let client = makeClient()
        let reference = try Reference(parsing: "127.0.0.1:1/app:v1")
        let pull = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.resolve(reference, credentials: nil)
        }
        let result = await pull.result
        guard case .failure(let error) = result else {
            Issue.record("resolved in a cancelled task")
            return
        }
        #expect((error as? BerthError)?.code == .cancelled)
    }
}

@Suite(.enabled(if: LocalRegistry.isAvailable, "needs /usr/bin/docker-registry (apt-get install docker-registry)"))
struct MirrorFallbackTests {
    @Test func mirrorWithoutTheContentHandsOverToTheHost() async throws {
        try await withLocalRegistry { host in
            try await withLocalRegistry { emptyMirror in
                let client = makeClient([host.host: RegistryHost(mirrors: [try #require(URL(string: "http://\(emptyMirror.host)/"))])])
                let reference = try Reference(parsing: "\(host.host)/app:v1")
                let image = try await pushImage(client, to: reference)

                let resolved = try await client.resolve(reference, credentials: nil)
                #expect(resolved.descriptor == image.manifest)
                try await withTemporaryDirectory { root in
                    let store = try BlobStore(root: root)
                    let writer = try store.ingest(expected: image.layer.digest, size: image.layer.size)
                    try await client.fetchBlob(reference, descriptor: image.layer, credentials: nil, into: writer)
                    #expect(try writer.commit() == image.layer.digest)
                }
            }
        }
    }

    @Test func notFoundEverywhereNamesTheOtherEndpoints() async throws {
        try await withLocalRegistry { mirror in
            let client = makeClient(["registry.invalid": RegistryHost(mirrors: [try #require(URL(string: "http://\(mirror.host)"))])])
            let reference = try Reference(parsing: "registry.invalid/missing:v1")
            let error = await #expect(throws: BerthError.self) { try await client.resolve(reference, credentials: nil) }
            // The mirror's definite answer outranks the host that cannot even be resolved.
            #expect(error?.code == .notFound)
            #expect(error?.message == "registry.invalid/missing:v1: not found (also tried https://registry.invalid: unavailable)")
        }
    }
}
