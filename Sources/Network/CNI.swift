import Foundation
import BerthBase

/// Pod networking through CNI plugins: finds the network in the configuration directory and
/// the plugins in the bin directories, and runs ADD, CHECK and DEL for one attachment.
public struct CNI: Sendable, Equatable {
    public static let defaultConfDir = "/etc/cni/net.d"
    public static let defaultBinDirs = ["/usr/lib/cni", "/opt/cni/bin"]
    public static let defaultTimeout: Duration = .seconds(60)

    public var confDir: String
    public var binDirs: [String]
    /// The longest any one plugin run may take; the plugin (and its process group) is then killed.
    public var timeout: Duration

    public init(confDir: String = defaultConfDir, binDirs: [String] = defaultBinDirs, timeout: Duration = defaultTimeout) {
        self.confDir = confDir
        self.binDirs = binDirs
        self.timeout = timeout
    }

    /// A network with every plugin found.
    public struct Ready: Sendable {
        public var network: NetworkConfig
        public var plugins: [String]
    }

    /// One plugin run, for the log.
    public struct Run: Sendable {
        public var type: String
        public var command: String
        public var duration: Duration
    }

    /// The network to attach pods to, or why there is none (what file, what plugin is missing).
    public func ready() throws(BerthError) -> Ready {
        let outcome = NetworkConfigLoader.load(directory: confDir)
        guard let network = outcome.network else {
            throw BerthError(.failedPrecondition, outcome.problem(directory: confDir))
        }
        return Ready(network: network, plugins: try locate(network))
    }

    /// The network for a new pod: nil when the directory holds no configuration at all (the
    /// pod then gets a network namespace with loopback only); an error when configuration is
    /// there but none of it is valid, or a plugin is missing.
    public func forPod() throws(BerthError) -> Ready? {
        let outcome = NetworkConfigLoader.load(directory: confDir)
        guard let network = outcome.network else {
            if outcome.skipped.isEmpty { return nil }
            throw BerthError(.failedPrecondition, outcome.problem(directory: confDir))
        }
        return Ready(network: network, plugins: try locate(network))
    }

    /// The path of each plugin of `network`, looked up in the bin directories in order.
    public func locate(_ network: NetworkConfig) throws(BerthError) -> [String] {
        var paths: [String] = []
        for type in network.pluginTypes {
            guard let path = Self.find(type, in: binDirs) else {
                throw BerthError(
                    .failedPrecondition,
                    "CNI network \"\(network.name)\" (\(network.source)): plugin \"\(type)\" not found in \(binDirs.joined(separator: ":"))")
            }
            paths.append(path)
        }
        return paths
    }

    public static func find(_ type: String, in directories: [String]) -> String? {
        for directory in directories {
            let path = "\(directory)/\(type)"
            if FileSystem.isRegularFile(path), access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// ADD: each plugin in order, each given the previous one's result. The cache is written
    /// before the first plugin runs (so a DEL can undo a half-done ADD, even after a crash)
    /// and again with the final result.
    public func add(_ ready: Ready, _ attachment: Attachment, cacheFile: String) async throws(BerthError) -> (CNIResult, [Run]) {
        try Self.writeCache(AttachmentCache(network: ready.network, attachment: attachment), to: cacheFile)
        var previous: JSONValue?
        var runs: [Run] = []
        for (index, plugin) in ready.network.plugins.enumerated() {
            let input = PluginInput.make(plugin: plugin, network: ready.network, prevResult: previous, portMappings: attachment.portMappings)
            let (output, run) = try await invoke(ready.plugins[index], type: ready.network.pluginTypes[index], command: "ADD", input: input, attachment: attachment)
            runs.append(run)
            do {
                previous = try JSONValue.parse(output)
            } catch {
                throw BerthError(.internal, "CNI plugin \(run.type) ADD: result is not JSON: \(error.message)")
            }
        }
        guard let previous else { throw BerthError(.internal, "CNI network \(ready.network.name): no plugins") }
        let result: CNIResult
        do {
            result = try CNIResult(parsing: previous)
        } catch {
            throw BerthError(.internal, "CNI network \(ready.network.name): ADD result: \(error.message)")
        }
        try Self.writeCache(AttachmentCache(network: ready.network, attachment: attachment, result: previous), to: cacheFile)
        return (result, runs)
    }

    /// CHECK with the cached configuration and result.
    public func check(cacheFile: String) async throws(BerthError) -> [Run] {
        guard let cache = try Self.readCache(cacheFile) else {
            throw BerthError(.notFound, "CNI: no cached attachment at \(cacheFile)")
        }
        let network = try cachedNetwork(cache, cacheFile: cacheFile)
        guard !network.disableCheck else { return [] }
        guard let result = cache.result else { throw BerthError(.failedPrecondition, "CNI network \(network.name): ADD never completed") }
        let paths = try locate(network)
        var runs: [Run] = []
        for (index, plugin) in network.plugins.enumerated() {
            let input = PluginInput.make(plugin: plugin, network: network, prevResult: result, portMappings: cache.attachment.portMappings)
            runs.append(try await invoke(paths[index], type: network.pluginTypes[index], command: "CHECK", input: input, attachment: cache.attachment).1)
        }
        return runs
    }

    /// DEL with the cached configuration, plugins in reverse order. Every plugin is tried even
    /// when one fails (so the address is released whatever else goes wrong); the first failure
    /// is thrown. The cache is removed once all succeed, so a second DEL finds nothing to do.
    /// `netns` overrides the cached namespace path (empty when it is gone, as the spec allows).
    public func delete(cacheFile: String, netns: String? = nil) async throws(BerthError) -> [Run] {
        guard let cache = try Self.readCache(cacheFile) else { return [] }
        let network = try cachedNetwork(cache, cacheFile: cacheFile)
        var attachment = cache.attachment
        if let netns { attachment.netns = netns }
        var runs: [Run] = []
        var failure: BerthError?
        for (index, plugin) in network.plugins.enumerated().reversed() {
            let type = network.pluginTypes[index]
            do throws(BerthError) {
                guard let path = Self.find(type, in: binDirs) else {
                    throw BerthError(.failedPrecondition, "CNI network \"\(network.name)\": plugin \"\(type)\" not found in \(binDirs.joined(separator: ":"))")
                }
                let input = PluginInput.make(plugin: plugin, network: network, prevResult: cache.result, portMappings: attachment.portMappings)
                runs.append(try await invoke(path, type: type, command: "DEL", input: input, attachment: attachment).1)
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        try FileSystem.removeTree(cacheFile)
        return runs
    }

    private func cachedNetwork(_ cache: AttachmentCache, cacheFile: String) throws(BerthError) -> NetworkConfig {
        try NetworkConfig.parse(cache.network.bytes, source: cacheFile)
    }

    /// Runs one plugin; its stdout on success, a BerthError naming the plugin otherwise.
    func invoke(_ path: String, type: String, command: String, input: JSONValue, attachment: Attachment) async throws(BerthError) -> ([UInt8], Run) {
        let environment = [
            "CNI_COMMAND=\(command)",
            "CNI_CONTAINERID=\(attachment.containerID)",
            "CNI_NETNS=\(attachment.netns)",
            "CNI_IFNAME=\(attachment.ifName)",
            "CNI_PATH=\(binDirs.joined(separator: ":"))",
            "CNI_ARGS=\(attachment.argsText)",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let timeout = timeout
        let started = ContinuousClock.now
        let output: PluginProcess.Output
        do {
            output = try await runBlocking(name: "cni \(type)") { _ in
                try PluginProcess.run(path: path, arguments: [], environment: environment, input: input.bytes, timeout: timeout)
            }
        } catch {
            throw BerthError.wrapping(error, context: "CNI plugin \(type) \(command)")
        }
        let run = Run(type: type, command: command, duration: ContinuousClock.now - started)
        if output.timedOut {
            throw BerthError(.deadlineExceeded, "CNI plugin \(type) \(command): no answer within \(timeout); killed")
        }
        guard output.status == 0 else {
            throw Self.failure(type: type, command: command, status: output.status, stdout: output.stdout, stderr: output.stderr)
        }
        return (output.stdout, run)
    }

    /// A plugin's failure as an error naming the plugin, the command and the CNI error.
    static func failure(type: String, command: String, status: Int32, stdout: [UInt8], stderr: [UInt8]) -> BerthError {
        if let error = CNIPluginError(parsing: stdout) {
            // Code 11: the plugin asks to be called again later.
            return BerthError(error.code == 11 ? .unavailable : .internal, "CNI plugin \(type) \(command) failed: \(error.text)")
        }
        let text = String(decoding: stderr.isEmpty ? stdout : stderr, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000)
        return BerthError(.internal, "CNI plugin \(type) \(command) failed: exit status \(status)\(text.isEmpty ? "" : ": \(text)")")
    }

    public static func readCache(_ path: String) throws(BerthError) -> AttachmentCache? {
        guard let bytes = try FileSystem.read(path) else { return nil }
        do {
            return try JSONDecoder().decode(AttachmentCache.self, from: Data(bytes))
        } catch {
            throw BerthError(.dataLoss, "CNI cache \(path): \(error)")
        }
    }

    static func writeCache(_ cache: AttachmentCache, to path: String) throws(BerthError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try FileSystem.atomicWrite(Array(try encoder.encode(cache)), to: path, mode: 0o600)
        } catch let error as BerthError {
            throw error
        } catch {
            throw BerthError(.internal, "CNI cache \(path): \(error)")
        }
    }
}
