import Foundation

/// The HTTP proxies a transfer goes through, as the environment states them for curl.
///
/// Read once (`environment`) and passed along as a value, so tests can give their own
/// without touching the process environment. The rules are curl's (7.86 and later):
/// - `http_proxy` (else `HTTP_PROXY`) serves `http://` URLs, which are sent to it in
///   absolute form; `https_proxy` (else `HTTPS_PROXY`) serves `https://` URLs through a
///   CONNECT tunnel. Lowercase wins, as in curl. (curl ignores `HTTP_PROXY` because CGI
///   programs get it from a request header; berthd is no CGI program, and Go reads it.)
/// - A proxy without a scheme is an `http://` one; `user:password@` in it is sent as
///   `Proxy-Authorization: Basic`. Only `http://` proxies are supported.
/// - `no_proxy` (else `NO_PROXY`): entries separated by commas or spaces. `*` bypasses
///   every host. A name matches itself and every name below it (`example.com` and
///   `.example.com` both match `example.com` and `a.example.com`, not `anexample.com`).
///   An address matches itself, or a CIDR range (`10.0.0.0/8`, `fd00::/8`); IPv6 without
///   brackets. Ports in entries are not understood.
/// - Like curl and unlike Go, `localhost` and loopback addresses are not exempt by
///   themselves: they bypass the proxy only when `no_proxy` lists them.
/// - `all_proxy` and SOCKS proxies are not supported.
public struct ProxySettings: Sendable, Hashable {
    /// The proxy for `http://` URLs.
    public var http: String?
    /// The proxy for `https://` URLs, reached with CONNECT.
    public var https: String?
    /// Hosts reached directly, in `no_proxy` syntax.
    public var noProxy: String

    /// No proxy at all.
    public static let none = ProxySettings()

    /// The settings in berthd's environment, read on first use.
    public static let environment = ProxySettings(environment: ProcessInfo.processInfo.environment)

    public init(http: String? = nil, https: String? = nil, noProxy: String = "") {
        self.http = http
        self.https = https
        self.noProxy = noProxy
    }

    /// The settings the given environment variables state.
    public init(environment: [String: String]) {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        self.init(http: value("http_proxy", "HTTP_PROXY"), https: value("https_proxy", "HTTPS_PROXY"),
                  noProxy: value("no_proxy", "NO_PROXY") ?? "")
    }

    /// The proxy to reach `url` through, or nil to connect directly.
    func proxy(for url: HTTPURL) throws(TransferError) -> HTTPURL? {
        guard let text = url.scheme == .http ? http : https, !bypasses(url.host) else { return nil }
        let variable = url.scheme == .http ? "http_proxy" : "https_proxy"
        let absolute = text.contains("://") ? text : "http://\(text)"
        let proxy: HTTPURL
        do throws(URLParseError) {
            proxy = try HTTPURL(parsing: absolute)
        } catch {
            throw .setup("\(variable): \(error)")
        }
        guard proxy.scheme == .http else { throw .setup("\(variable): only http:// proxies are supported, not \(text)") }
        return proxy
    }

    /// Whether `no_proxy` exempts a host (lowercased, IPv6 without brackets).
    func bypasses(_ host: String) -> Bool {
        let entries = noProxy.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
        let address = IPAddress(host)
        for raw in entries {
            var entry = raw.lowercased()
            if entry == "*" { return true }
            if entry.hasPrefix("[") && entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            if let address {
                if entry == host { return true }
                var bits: Int?
                if let slash = entry.firstIndex(of: "/") {
                    bits = Int(entry[entry.index(after: slash)...])
                    entry = String(entry[..<slash])
                }
                if let network = IPAddress(entry), address.matches(network, prefixBits: bits ?? network.bytes.count * 8) {
                    return true
                }
            } else {
                while entry.hasPrefix(".") { entry.removeFirst() }
                if entry.hasSuffix(".") { entry.removeLast() }
                if !entry.isEmpty, host == entry || host.hasSuffix("." + entry) { return true }
            }
        }
        return false
    }
}
