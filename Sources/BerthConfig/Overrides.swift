import BerthBase

/// Settings given on the command line, which win over the file. Each is checked as the file's
/// setting is, and an error names the flag.
public struct Overrides: Sendable, Equatable {
    /// `--root`
    public var root: String?
    /// `--state`
    public var state: String?
    /// `--socket`
    public var socket: String?
    /// `--socket-mode`, octal like `0660`.
    public var socketMode: String?
    /// `--socket-group`
    public var socketGroup: String?
    /// `--log-level`
    public var logLevel: String?
    /// `--platform`, like `linux/arm64`.
    public var platform: String?

    public init(root: String? = nil, state: String? = nil, socket: String? = nil, socketMode: String? = nil,
                socketGroup: String? = nil, logLevel: String? = nil, platform: String? = nil) {
        self.root = root
        self.state = state
        self.socket = socket
        self.socketMode = socketMode
        self.socketGroup = socketGroup
        self.logLevel = logLevel
        self.platform = platform
    }
}

extension Config {
    /// Applies command-line settings; on error nothing is changed.
    public mutating func apply(overrides: Overrides) throws(BerthError) {
        var updated = self
        do {
            if let root = overrides.root { updated.rootDirectory = try Validate.directory(root, key: "--root") }
            if let state = overrides.state { updated.stateDirectory = try Validate.directory(state, key: "--state") }
            if let socket = overrides.socket { updated.socketPath = try Validate.socketPath(socket, key: "--socket") }
            if let mode = overrides.socketMode { updated.socketMode = try Validate.socketMode(mode, key: "--socket-mode") }
            if let group = overrides.socketGroup { updated.socketGroup = try Validate.group(group, key: "--socket-group") }
            if let level = overrides.logLevel { updated.logLevel = try Validate.logLevel(level, key: "--log-level") }
            if let platform = overrides.platform { updated.registry.platform = try Validate.platform(platform, key: "--platform") }
        } catch {
            throw BerthError(.invalidArgument, error.message)
        }
        self = updated
    }
}
