#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import ContentStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ImageReference
import OCIImage
import Registry
import Testing

/// A real registry behind `Fixtures/auth_front.py`: bearer challenges, a token service, and
/// blob GETs redirected to another host name.
@Suite(.enabled(if: LocalRegistry.isAvailable, "needs /usr/bin/docker-registry (apt-get install docker-registry)"),
       .enabled(if: AuthFront.isAvailable, "needs \(AuthFront.python)"))
struct BearerAndRedirectTests {
    static let user = (username: "berth", password: "token-secret")

    @Test func tokenIsFetchedCachedAndBlobRedirectIsFollowedWithoutCredentials() async throws {
        try await withLocalRegistry { registry in
            let direct = makeClient([registry.host: RegistryHost(plainHTTP: true)])
            let image = try await pushImage(direct, to: try Reference(parsing: "\(registry.host)/team/app:v1"))

            try await withAuthFront(upstream: registry.host) { front in
                let client = makeClient([front.host: RegistryHost(plainHTTP: true)])
                let reference = try Reference(parsing: "\(front.host)/team/app:v1")
                let credentials = Credentials(username: Self.user.username, password: Self.user.password)

                let resolved = try await client.resolve(reference, credentials: credentials)
                #expect(resolved.descriptor == image.manifest)
                #expect(resolved.bytes == image.manifestBytes)
                let afterResolve = try await front.stats()
                #expect(afterResolve.tokensIssued == 1)

                _ = try await client.resolve(reference, credentials: credentials)
                #expect(try await front.stats().tokensIssued == 1, "the cached token is reused")

                try await withTemporaryDirectory { root in
                    let store = try BlobStore(root: root)
                    let writer = try store.ingest(expected: image.layer.digest, size: image.layer.size)
                    try await client.fetchBlob(reference, descriptor: image.layer, credentials: credentials, into: writer)
                    #expect(try writer.commit() == image.layer.digest)
                    #expect(try store.read(image.layer.digest) == image.layerBytes)
                }
                let stats = try await front.stats()
                #expect(stats.redirects == 1)
                #expect(stats.storageRequests == 1)
                #expect(stats.storageWithAuthorization == 0, "the redirect to another host carried the registry's token")
                #expect(stats.tokensIssued == 1, "the blob fetch reuses the pull token")
            }
        }
    }

    @Test func refusedTokenRequestIsUnauthenticatedAndNamesTheTokenService() async throws {
        try await withLocalRegistry { registry in
            let direct = makeClient([registry.host: RegistryHost(plainHTTP: true)])
            _ = try await pushImage(direct, to: try Reference(parsing: "\(registry.host)/app:v1"))

            try await withAuthFront(upstream: registry.host) { front in
                let client = makeClient([front.host: RegistryHost(plainHTTP: true)])
                let reference = try Reference(parsing: "\(front.host)/app:v1")
                let wrong = Credentials(username: Self.user.username, password: "not-the-password")
                for credentials in [nil, wrong] {
                    let error = await #expect(throws: BerthError.self) {
                        try await client.resolve(reference, credentials: credentials)
                    }
                    #expect(error?.code == .unauthenticated)
                    #expect(error?.message == "\(reference): token service http://\(front.host)/token: credentials refused: bad credentials")
                }
                #expect(try await front.stats().tokensIssued == 0)
            }
        }
    }
}

/// `Fixtures/auth_front.py` running on a free loopback port in front of a registry.
final class AuthFront: @unchecked Sendable {
    static let python = "/usr/bin/python3"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/auth_front.py").path

    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: python) && FileManager.default.fileExists(atPath: script)
    }

    struct Stats: Decodable {
        var tokensIssued: Int
        var redirects: Int
        var storageRequests: Int
        var storageWithAuthorization: Int

        enum CodingKeys: String, CodingKey {
            case tokensIssued = "tokens_issued"
            case redirects
            case storageRequests = "storage_requests"
            case storageWithAuthorization = "storage_with_authorization"
        }
    }

    let port: Int
    var host: String { "127.0.0.1:\(port)" }
    private let process: Process
    // Held open so the front exits on its own when this process dies.
    private let stdin = Pipe()

    init(upstream: String, user: String, password: String) async throws {
        port = try LocalRegistry.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script, "--listen", "\(port)", "--upstream", upstream, "--user", user, "--password", password]
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, process.isRunning {
            if (try? await stats()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw FixtureError("auth_front.py did not answer on port \(port)")
    }

    deinit { stop() }

    /// Kills the front and reaps it. Safe to call more than once.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? stdin.fileHandleForWriting.close()
    }

    func stats() async throws -> Stats {
        guard let url = URL(string: "http://\(host)/stats") else { throw FixtureError("bad stats URL for \(host)") }
        let (data, _) = try await URLSession.shared.data(from: url)
        return try JSONDecoder().decode(Stats.self, from: data)
    }
}

/// Runs `body` with an auth front before `upstream`, stopping it afterwards whatever happens.
func withAuthFront<T>(upstream: String, _ body: (AuthFront) async throws -> T) async throws -> T {
    let front = try await AuthFront(
        upstream: upstream, user: BearerAndRedirectTests.user.username, password: BearerAndRedirectTests.user.password)
    defer { front.stop() }
    return try await body(front)
}
