import Foundation
@testable import Registry
import Testing

@Suite struct AuthChallengeTests {
    @Test func bearerChallengeWithQuotedParameters() {
        let challenges = AuthChallenge.parse(
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#)
        #expect(challenges == [AuthChallenge(scheme: "bearer", parameters: [
            "realm": "https://auth.docker.io/token",
            "service": "registry.docker.io",
            "scope": "repository:library/busybox:pull",
        ])])
    }

    @Test func basicChallengeAndEscapes() {
        #expect(AuthChallenge.parse(#"Basic realm="berth \"test\"""#)
            == [AuthChallenge(scheme: "basic", parameters: ["realm": #"berth "test""#])])
        #expect(AuthChallenge.parse("basic realm=plain") == [AuthChallenge(scheme: "basic", parameters: ["realm": "plain"])])
    }

    @Test func twoChallengesInOneHeader() {
        let challenges = AuthChallenge.parse(#"Basic realm="a", Bearer realm="https://t/token", scope="x""#)
        #expect(challenges.map(\.scheme) == ["basic", "bearer"])
        #expect(challenges.last?.parameters == ["realm": "https://t/token", "scope": "x"])
    }
}

@Suite struct EndpointTests {
    @Test func mirrorsComeFirstThenTheHost() throws {
        let configuration = RegistryConfiguration(hosts: [
            "registry.k8s.io": RegistryHost(mirrors: [try #require(URL(string: "http://127.0.0.1:5000/")), try #require(URL(string: "https://m.example/v2"))]),
        ])
        let endpoints = RegistryEndpoint.all(for: "registry.k8s.io", configuration: configuration)
        #expect(endpoints.map(\.base) == ["http://127.0.0.1:5000", "https://m.example", "https://registry.k8s.io"])
        #expect(endpoints.map(\.isMirror) == [true, true, false])
        #expect(endpoints[0].url(repository: "pause", "manifests/3.9") == "http://127.0.0.1:5000/v2/pause/manifests/3.9")
    }

    @Test(arguments: [
        ("docker.io", "https://registry-1.docker.io"),
        ("quay.io", "https://quay.io"),
        ("localhost:5000", "http://localhost:5000"),
        ("127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("[::1]:5000", "http://[::1]:5000"),
    ])
    func hostDefaults(domain: String, base: String) {
        #expect(RegistryEndpoint.host(for: domain, configuration: RegistryConfiguration()).base == base)
    }

    @Test func plainHTTPAndSkipVerify() {
        let configuration = RegistryConfiguration(hosts: ["r.example": RegistryHost(plainHTTP: true, skipVerify: true)])
        let host = RegistryEndpoint.host(for: "r.example", configuration: configuration)
        #expect(host.base == "http://r.example")
        #expect(!host.verifyTLS)
    }
}
