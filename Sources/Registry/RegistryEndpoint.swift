import Foundation

/// One place a repository can be fetched from: a mirror or the registry host itself.
struct RegistryEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `scheme://host[:port]` plus any path prefix, without a trailing slash.
    let base: String
    let isMirror: Bool
    let verifyTLS: Bool

    var description: String { base }

    /// The URL of `/v2/<repository>/<rest>` on this endpoint.
    func url(repository: String, _ rest: String) -> String {
        "\(base)/v2/\(repository)/\(rest)"
    }

    /// The endpoints for a registry domain: its configured mirrors in order, then the host.
    static func all(for domain: String, configuration: RegistryConfiguration) -> [RegistryEndpoint] {
        let host = configuration.hosts[domain] ?? RegistryHost()
        var endpoints = host.mirrors.map { mirror in
            RegistryEndpoint(base: normalizedBase(mirror.absoluteString), isMirror: true, verifyTLS: !host.skipVerify)
        }
        endpoints.append(self.host(for: domain, configuration: configuration))
        return endpoints
    }

    /// The registry host itself, where pushes go.
    static func host(for domain: String, configuration: RegistryConfiguration) -> RegistryEndpoint {
        let host = configuration.hosts[domain] ?? RegistryHost()
        // Same defaults as containerd: Docker Hub's API lives on registry-1, and a registry on
        // the loopback interface is spoken to in plain HTTP.
        let name = domain == "docker.io" ? "registry-1.docker.io" : domain
        let scheme = host.plainHTTP || isLoopback(domain) ? "http" : "https"
        return RegistryEndpoint(base: "\(scheme)://\(name)", isMirror: false, verifyTLS: !host.skipVerify)
    }

    /// Whether a domain (with or without port) names this machine.
    static func isLoopback(_ domain: String) -> Bool {
        var host = Substring(domain)
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            host = host[..<colon]
        }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// A mirror URL without its trailing slash or `/v2` suffix, which requests add.
    private static func normalizedBase(_ text: String) -> String {
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v2") { base.removeLast(3) }
        return base
    }
}
