import HTTPClient
import Testing

@Suite struct URLTests {
    @Test(arguments: [
        ("http://registry.example/v2/", "registry.example", 80, "/v2/", "registry.example"),
        ("HTTPS://Registry.Example:5000", "registry.example", 5000, "/", "registry.example:5000"),
        ("https://registry.example:443/a?b=c#frag", "registry.example", 443, "/a?b=c", "registry.example"),
        ("http://127.0.0.1:5000/v2/x/blobs/sha256:ab", "127.0.0.1", 5000, "/v2/x/blobs/sha256:ab", "127.0.0.1:5000"),
        ("http://[::1]:8080/x", "::1", 8080, "/x", "[::1]:8080"),
        ("https://[fd00::5]/x", "fd00::5", 443, "/x", "[fd00::5]"),
        ("http://host.example./a b", "host.example", 80, "/a%20b", "host.example"),
    ])
    func parses(text: String, host: String, port: Int, target: String, authority: String) throws {
        let url = try HTTPURL(parsing: text)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.target == target)
        #expect(url.authority == authority)
    }

    @Test(arguments: [
        ("ftp://example.com/", "is not http or https"),
        ("example.com/path", "not an absolute URL"),
        ("http:///path", "no host"),
        ("http://host:99999/", "bad port"),
        ("http://host:12ab/", "bad port"),
        ("http://[::1/", "unterminated IPv6 address"),
        ("http://[not-v6]/", "bad IPv6 address"),
        ("http://bad host/", "bad host name"),
        ("http://host/a\r\nInjected: yes", "control character"),
    ])
    func refuses(text: String, reason: String) {
        #expect(throws: URLParseError.self) { try HTTPURL(parsing: text) }
        do {
            _ = try HTTPURL(parsing: text)
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test(arguments: [
        ("/v2/other", "http://reg.example:5000/v2/other"),
        ("uploads/abc?x=1", "http://reg.example:5000/v2/repo/blobs/uploads/abc?x=1"),
        ("../../manifests/m", "http://reg.example:5000/v2/manifests/m"),
        ("?state=2", "http://reg.example:5000/v2/repo/blobs/?state=2"),
        ("//cdn.example/blob", "http://cdn.example/blob"),
        ("https://storage.example/b?sig=1", "https://storage.example/b?sig=1"),
        ("", "http://reg.example:5000/v2/repo/blobs/?q=1"),
    ])
    func resolvesLocations(location: String, expected: String) throws {
        let base = try HTTPURL(parsing: "http://reg.example:5000/v2/repo/blobs/?q=1")
        #expect(try base.resolving(location).description == expected)
    }

    @Test func refusesRedirectToAnotherScheme() throws {
        let base = try HTTPURL(parsing: "https://reg.example/v2/")
        #expect(throws: URLParseError.self) { try base.resolving("file:///etc/passwd") }
    }
}
