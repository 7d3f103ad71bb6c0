import BerthBase

/// The configuration a plugin reads on stdin: its own object from the list, with the list's
/// `name` and `cniVersion`, the previous result, and the runtime configuration of the
/// capabilities it declares.
public enum PluginInput {
    public static func make(
        plugin: JSONValue, network: NetworkConfig, prevResult: JSONValue?, portMappings: [PortMapping]
    ) -> JSONValue {
        var object = plugin.object ?? [:]
        object["name"] = .string(network.name)
        object["cniVersion"] = .string(network.cniVersion)
        if let prevResult { object["prevResult"] = prevResult } else { object.removeValue(forKey: "prevResult") }
        object.removeValue(forKey: "runtimeConfig")
        var runtime: [String: JSONValue] = [:]
        if plugin["capabilities"]?["portMappings"]?.bool == true, !portMappings.isEmpty {
            runtime["portMappings"] = .array(portMappings.map(\.json))
        }
        if !runtime.isEmpty { object["runtimeConfig"] = .object(runtime) }
        return .object(object)
    }
}
