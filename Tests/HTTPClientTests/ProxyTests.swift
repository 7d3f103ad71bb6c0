import BerthBase
import Foundation
import HTTPClient
import Testing

extension Fixtured {
    /// Requests through `Fixtures/http_proxy.py`, which takes every host name to mean
    /// 127.0.0.1: `registry.test` is reachable only through it.
    @Suite(.enabled(if: PythonFixture.isAvailable, "needs \(PythonFixture.python)"))
    struct ProxyTests {
        @Test func plainRequestGoesToTheProxyInAbsoluteForm() async throws {
            try await withServer { server in
                try await withProxy { proxy in
                    let options = TransferOptions(proxies: ProxySettings(http: "127.0.0.1:\(proxy.port)"))
                    let url = "http://registry.test:\(server.port)/echo?x=1"
                    let echo = try Echo(try await perform(TransferRequest(url: url), options: options).response())
                    #expect(echo.target == "/echo?x=1")
                    #expect(echo.headers["host"] == "registry.test:\(server.port)")
                    #expect(try await ProxyStats.of(proxy).requests == ["GET \(url)"])
                }
            }
        }

        @Test func tlsRequestTunnelsWithConnectAndVerifiesTheTargetName() async throws {
            try await withCertificate { certificate in
                try await withServer(tls: certificate) { server in
                    try await withProxy { proxy in
                        let options = TransferOptions(
                            proxies: ProxySettings(http: "http://127.0.0.1:1", https: "http://127.0.0.1:\(proxy.port)"),
                            extraRootCertificates: certificate.certificate)
                        let collected = Collected()
                        let request = TransferRequest(url: "https://registry.test:\(server.port)/bytes/300000")
                        let response = try await perform(request, options: options, into: collected).response()
                        #expect(response.status == 200)
                        #expect(collected.value == pattern(300_000))
                        #expect(try await ProxyStats.of(proxy).requests == ["CONNECT registry.test:\(server.port)"])
                    }
                }
            }
        }

        @Test func proxyCredentialsAreSentToTheProxyOnly() async throws {
            try await withServer { server in
                try await withProxy { proxy in
                    let options = TransferOptions(proxies: ProxySettings(http: "http://berth:p%40ss@127.0.0.1:\(proxy.port)"))
                    let echo = try Echo(try await perform(TransferRequest(url: "http://registry.test:\(server.port)/echo"), options: options).response())
                    #expect(echo.headers["proxy-authorization"] == nil)
                    let expected = "Basic " + Data("berth:p@ss".utf8).base64EncodedString()
                    #expect(try await ProxyStats.of(proxy).proxyAuthorization == [expected])
                }
            }
        }

        @Test func noProxyHostsAreReachedDirectly() async throws {
            try await withServer { server in
                try await withProxy { proxy in
                    let options = TransferOptions(proxies: ProxySettings(http: "127.0.0.1:\(proxy.port)", noProxy: "example.org, 127.0.0.1"))
                    let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/bytes/10"), options: options).response()
                    #expect(response.body == pattern(10))
                    // A bypassed name is resolved here, where registry.test means nothing.
                    let bypassed = TransferOptions(proxies: ProxySettings(http: "127.0.0.1:\(proxy.port)", noProxy: ".test"))
                    let text = await perform(TransferRequest(url: "http://registry.test:\(server.port)/"), options: bypassed).failureText() ?? ""
                    #expect(text.hasPrefix("registry.test: no address"), "\(text)")
                    #expect(try await ProxyStats.of(proxy).requests.isEmpty)
                }
            }
        }

        @Test func unreachableProxyIsNamed() async throws {
            let port = try unusedPort()
            let options = TransferOptions(proxies: ProxySettings(http: "127.0.0.1:\(port)"))
            let text = await perform(TransferRequest(url: "http://registry.test/v2/"), options: options).failureText()
            #expect(text == "connect proxy 127.0.0.1:\(port): Connection refused")
        }

        @Test func refusedTunnelIsNamed() async throws {
            try await withServer { server in
                // The origin server answers CONNECT with a 404, as a proxy refusing it would.
                let options = TransferOptions(proxies: ProxySettings(https: "127.0.0.1:\(server.port)"))
                let text = await perform(TransferRequest(url: "https://registry.test/v2/"), options: options).failureText()
                #expect(text == "CONNECT registry.test:443 through proxy 127.0.0.1:\(server.port): HTTP 404")
            }
        }
    }
}
