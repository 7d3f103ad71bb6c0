@testable import HTTPClient
import Testing

@Suite struct ProxySettingsTests {
    @Test func lowercaseVariablesWinAndEmptyOnesDoNotCount() {
        let settings = ProxySettings(environment: [
            "http_proxy": "http://lower:3128", "HTTP_PROXY": "http://upper:3128",
            "https_proxy": "", "HTTPS_PROXY": "upper-tls:3128",
            "NO_PROXY": "internal.example",
        ])
        #expect(settings.http == "http://lower:3128")
        #expect(settings.https == "upper-tls:3128")
        #expect(settings.noProxy == "internal.example")
        #expect(ProxySettings(environment: [:]) == .none)
    }

    @Test(arguments: [
        ("example.com", "example.com", true),
        ("example.com", "www.example.com", true),
        (".example.com", "example.com", true),
        ("example.com", "anexample.com", false),
        ("example.com", "example.com.org", false),
        ("*", "anything.example", true),
        ("a.example, b.example", "x.b.example", true),
        ("a.example b.example", "b.example", true),
        ("127.0.0.1", "127.0.0.1", true),
        ("", "127.0.0.1", false),
        ("localhost", "127.0.0.1", false),
        ("10.0.0.0/8", "10.20.30.40", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("192.168.1.0/24", "192.168.1.77", true),
        ("::1", "::1", true),
        ("[::1]", "::1", true),
        ("fd00::/8", "fd12::3", true),
        ("fd00::/8", "10.0.0.1", false),
    ])
    func noProxy(list: String, host: String, bypassed: Bool) {
        #expect(ProxySettings(http: "127.0.0.1:3128", noProxy: list).bypasses(host) == bypassed)
    }

    @Test func onlyHTTPProxiesAreSupported() async {
        let options = TransferOptions(proxies: ProxySettings(https: "https://proxy.example:443"))
        let text = await perform(TransferRequest(url: "https://registry.example/v2/"), options: options).failureText()
        #expect(text == "https_proxy: only http:// proxies are supported, not https://proxy.example:443")
    }
}
