import BerthBase
import Logging
import Network
import Registry

/// Every setting of the daemon, with the defaults it runs with when no file says otherwise.
public struct Config: Sendable, Equatable {
    /// Persistent state: content store, unpacked layers, metadata.
    public var rootDirectory = "/var/lib/berth"
    /// State that does not survive a reboot: bundles, sockets, mounts.
    public var stateDirectory = "/run/berth"
    /// The Unix socket the API listens on.
    public var socketPath = "/run/berth/berth.sock"
    /// Permission bits of the socket.
    public var socketMode: UInt32 = 0o660
    /// The group that owns the socket, by name or number; nil keeps root's group.
    public var socketGroup: String?
    public var logLevel: Logger.Level = .info
    /// The largest request body the API reads.
    public var maxRequestBytes = 16 << 20
    /// How long a streaming URL (Exec, Attach, PortForward) stays valid if unused, in seconds.
    public var streamTokenTimeout = 30
    public var registry = RegistryConfiguration()
    /// The container shim; empty means `berth-shim` beside the berthd executable.
    public var shimPath = ""
    /// Where pod cgroups go (below the cgroup2 mount) when a pod names no cgroup parent.
    public var cgroupRoot = "berth"
    /// Pod networking: the CNI configuration directory, plugin directories and plugin timeout.
    public var network = CNI()

    /// Where the daemon looks for its configuration when no path is given.
    public static let defaultPath = "/etc/berth/config.toml"

    /// The defaults.
    public init() {}

    /// Reads the configuration at `path`; with nil, reads `defaultPath` when it exists and
    /// otherwise returns the defaults. A path that was given but is missing is an error.
    public static func load(path: String?) throws(BerthError) -> Config {
        let file = path ?? defaultPath
        guard let bytes = try FileSystem.read(file) else {
            if path == nil { return Config() }
            throw BerthError(.notFound, "config \(file): no such file")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw BerthError(.invalidArgument, "config \(file): not UTF-8 text")
        }
        return try parse(toml: text, source: file)
    }

    /// Parses a TOML document; `source` (a path, or a name like `<flags>`) starts every error.
    public static func parse(toml: String, source: String) throws(BerthError) -> Config {
        do {
            return try ConfigFile.read(toml)
        } catch {
            throw BerthError(.invalidArgument, "config \(source): \(error.message)")
        }
    }
}
