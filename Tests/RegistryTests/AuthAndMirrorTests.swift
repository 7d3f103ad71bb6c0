import BerthBase
import Foundation
import ImageReference
import OCIImage
import Registry
import Testing

@Suite(.enabled(if: LocalRegistry.isAvailable, "needs /usr/bin/docker-registry (apt-get install docker-registry)"))
struct AuthAndMirrorTests {
    @Test func basicAuthIsAnsweredWithTheGivenCredentials() async throws {
        try await withLocalRegistry(htpasswd: LocalRegistry.testHtpasswd) { registry in
            let client = makeClient([registry.host: RegistryHost(plainHTTP: true)])
            var credentials = Credentials()
            credentials.username = LocalRegistry.testUser.username
            credentials.password = LocalRegistry.testUser.password
            let reference = try Reference(parsing: "\(registry.host)/private/app:v1")
            let image = try await pushImage(client, to: reference, credentials: credentials)

            let resolved = try await client.resolve(reference, credentials: credentials)
            #expect(resolved.descriptor.digest == image.manifest.digest)

            do {
                _ = try await client.resolve(reference, credentials: nil)
                Issue.record("resolved without credentials")
            } catch let error as BerthError {
                #expect(error.code == .unauthenticated)
            }
            var wrong = credentials
            wrong.password = "not-the-password"
            do {
                _ = try await client.resolve(reference, credentials: wrong)
                Issue.record("resolved with a wrong password")
            } catch let error as BerthError {
                #expect(error.code == .unauthenticated)
            }
        }
    }

    @Test func criAuthFieldIsBase64UserColonPassword() throws {
        let encoded = Data("berth:s3cret:with:colons".utf8).base64EncodedString()
        let credentials = try Credentials(auth: encoded)
        #expect(credentials.username == "berth")
        #expect(credentials.password == "s3cret:with:colons")
        #expect(throws: BerthError.self) { try Credentials(auth: "%%%not-base64") }
    }

    @Test func mirrorsAreTriedInOrderUnderTheOriginalName() async throws {
        try await withLocalRegistry { registry in
            let direct = makeClient([registry.host: RegistryHost(plainHTTP: true)])
            let pushed = try Reference(parsing: "\(registry.host)/pause:3.9")
            let image = try await pushImage(direct, to: pushed)

            let closed = try #require(URL(string: "http://127.0.0.1:\(try LocalRegistry.freePort())"))
            let mirror = try #require(URL(string: "http://\(registry.host)"))
            let client = makeClient(["registry.k8s.io": RegistryHost(mirrors: [closed, mirror])])
            let resolved = try await client.resolve(try Reference(parsing: "registry.k8s.io/pause:3.9"), credentials: nil)
            #expect(resolved.descriptor.digest == image.manifest.digest)
        }
    }

    @Test func unreachableRegistryNamesTheEndpoint() async throws {
        let port = try LocalRegistry.freePort()
        let client = makeClient(["127.0.0.1:\(port)": RegistryHost(plainHTTP: true)])
        do {
            _ = try await client.resolve(try Reference(parsing: "127.0.0.1:\(port)/app:v1"), credentials: nil)
            Issue.record("resolved from a closed port")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("127.0.0.1:\(port)"))
        }
    }
}
