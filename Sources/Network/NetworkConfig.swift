import BerthBase

/// One CNI network: a named list of plugins run in order, as a `.conflist` holds it (a
/// single-plugin `.conf` is wrapped as a list of one).
public struct NetworkConfig: Sendable, Equatable {
    /// The CNI spec versions Berth speaks to plugins.
    public static let supportedVersions = ["0.4.0", "1.0.0"]

    public var name: String
    public var cniVersion: String
    /// Each plugin's configuration object, as the file has it (`type` names the binary).
    public var plugins: [JSONValue]
    /// The file the network was read from.
    public var source: String
    /// The whole list, kept to cache with an attachment: DEL uses the configuration ADD used.
    public var document: JSONValue

    public var pluginTypes: [String] { plugins.compactMap { $0["type"]?.string } }

    /// Parses a `.conflist` (`plugins` array) or a `.conf`/`.json` (one plugin object).
    public static func parse(_ bytes: some Collection<UInt8>, source: String) throws(BerthError) -> NetworkConfig {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw BerthError(.invalidArgument, "CNI config \(source): not JSON: \(error.message)")
        }
        guard case .object(var object) = document else {
            throw BerthError(.invalidArgument, "CNI config \(source): not a JSON object")
        }
        if object["plugins"] == nil {
            // A single plugin: its name and version belong to the list it is wrapped in.
            guard object["type"] != nil else {
                throw BerthError(.invalidArgument, "CNI config \(source): neither a \"plugins\" list nor a plugin with a \"type\"")
            }
            var plugin = object
            plugin.removeValue(forKey: "name")
            plugin.removeValue(forKey: "cniVersion")
            object = ["name": object["name"] ?? .null, "cniVersion": object["cniVersion"] ?? .null, "plugins": .array([.object(plugin)])]
        }
        guard let name = object["name"]?.string, !name.isEmpty else {
            throw BerthError(.invalidArgument, "CNI config \(source): \"name\" is missing or not a string")
        }
        guard let version = object["cniVersion"]?.string else {
            throw BerthError(.invalidArgument, "CNI config \(source): \"cniVersion\" is missing or not a string")
        }
        guard supportedVersions.contains(version) else {
            throw BerthError(
                .invalidArgument,
                "CNI config \(source): cniVersion \"\(version)\" is not supported (supported: \(supportedVersions.joined(separator: ", ")))")
        }
        if object["disableCheck"].map({ $0.bool == nil && $0.string == nil }) == true {
            throw BerthError(.invalidArgument, "CNI config \(source): \"disableCheck\" is not a boolean")
        }
        guard let plugins = object["plugins"]?.array, !plugins.isEmpty else {
            throw BerthError(.invalidArgument, "CNI config \(source): \"plugins\" is not a non-empty list")
        }
        for (index, plugin) in plugins.enumerated() {
            guard let type = plugin["type"]?.string, !type.isEmpty else {
                throw BerthError(.invalidArgument, "CNI config \(source): plugins[\(index)] has no \"type\"")
            }
            guard !type.contains("/"), type != ".", type != ".." else {
                throw BerthError(.invalidArgument, "CNI config \(source): plugins[\(index)]: type \"\(type)\" is not a plugin name")
            }
        }
        return NetworkConfig(name: name, cniVersion: version, plugins: plugins, source: source, document: .object(object))
    }

    /// Whether CHECK is turned off for this network (`"disableCheck": true`).
    public var disableCheck: Bool {
        document["disableCheck"]?.bool == true || document["disableCheck"]?.string == "true"
    }
}

/// Finds the network to use in a configuration directory, as containerd and CRI-O do: the
/// files ending in `.conflist`, `.conf` or `.json`, in lexical order; the first valid one wins.
public enum NetworkConfigLoader {
    public static let extensions = [".conflist", ".conf", ".json"]

    /// What a directory offers: the network chosen, and why each file before it was skipped.
    public struct Outcome: Sendable {
        public var network: NetworkConfig?
        public var skipped: [BerthError]

        /// Why there is no network, for an error or the NetworkReady message.
        public func problem(directory: String) -> String {
            if skipped.isEmpty { return "no CNI network config in \(directory)" }
            return "no valid CNI network config in \(directory): " + skipped.map(\.message).joined(separator: "; ")
        }
    }

    public static func load(directory: String) -> Outcome {
        let files = FileSystem.list(directory)
            .filter { name in !name.hasPrefix(".") && extensions.contains { name.hasSuffix($0) } }
            .sorted()
        var skipped: [BerthError] = []
        for name in files {
            let path = "\(directory)/\(name)"
            guard FileSystem.isRegularFile(path) else { continue }
            do {
                guard let bytes = try FileSystem.read(path) else { continue }
                return Outcome(network: try NetworkConfig.parse(bytes, source: path), skipped: skipped)
            } catch {
                skipped.append(error)
            }
        }
        return Outcome(network: nil, skipped: skipped)
    }
}
