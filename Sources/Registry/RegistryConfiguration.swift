import Foundation
import OCIImage

/// How to reach one registry host: mirrors tried in order before the host itself.
public struct RegistryHost: Sendable, Hashable {
    /// Mirror endpoints such as `http://127.0.0.1:5000`; the scheme decides http or https.
    public var mirrors: [URL]
    /// Talk to the host itself over plain HTTP instead of HTTPS.
    public var plainHTTP: Bool
    /// Accept any TLS certificate from the host and its https mirrors.
    public var skipVerify: Bool

    public init(mirrors: [URL] = [], plainHTTP: Bool = false, skipVerify: Bool = false) {
        self.mirrors = mirrors
        self.plainHTTP = plainHTTP
        self.skipVerify = skipVerify
    }
}

/// Everything the registry client needs from the daemon's configuration.
public struct RegistryConfiguration: Sendable, Hashable {
    /// Per-host settings keyed by the reference's domain (`docker.io`, `registry.k8s.io`, `127.0.0.1:5000`).
    public var hosts: [String: RegistryHost]
    /// The platform chosen from an index.
    public var platform: Platform
    /// Blobs fetched at once by one pull.
    public var maxConcurrentDownloads: Int

    public init(hosts: [String: RegistryHost] = [:], platform: Platform = .linuxAMD64, maxConcurrentDownloads: Int = 4) {
        self.hosts = hosts
        self.platform = platform
        self.maxConcurrentDownloads = maxConcurrentDownloads
    }
}
