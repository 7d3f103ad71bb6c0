import BerthBase

/// One pod's attachment to a network: what the plugins are told in their environment and
/// runtime configuration. Cached with the ADD result, as libcni does, for DEL and CHECK.
public struct Attachment: Sendable, Codable, Equatable {
    /// CNI_CONTAINERID: the sandbox id.
    public var containerID: String
    /// CNI_NETNS: the bind-mounted network namespace.
    public var netns: String
    /// CNI_IFNAME.
    public var ifName: String
    /// CNI_ARGS pairs (K8S_POD_NAME, …), in order.
    public var args: [[String]]
    /// For plugins with the `portMappings` capability.
    public var portMappings: [PortMapping]

    public init(containerID: String, netns: String, ifName: String = "eth0", args: [(String, String)] = [], portMappings: [PortMapping] = []) {
        self.containerID = containerID
        self.netns = netns
        self.ifName = ifName
        self.args = args.map { [$0.0, $0.1] }
        self.portMappings = portMappings
    }

    /// CNI_ARGS: `IgnoreUnknown=1;K=V;…`, so plugins that do not know a key accept it.
    var argsText: String {
        (["IgnoreUnknown=1"] + args.filter { $0.count == 2 }.map { "\($0[0])=\($0[1])" }).joined(separator: ";")
    }
}

/// What Berth keeps on disk for one attachment: the network as ADD used it and the final
/// result (nil until ADD completes; DEL then runs without a prevResult).
public struct AttachmentCache: Sendable, Codable, Equatable {
    public var kind = "berth/cni-cache"
    public var networkName: String
    public var network: JSONValue
    public var attachment: Attachment
    public var result: JSONValue?

    public init(network: NetworkConfig, attachment: Attachment, result: JSONValue? = nil) {
        self.networkName = network.name
        self.network = network.document
        self.attachment = attachment
        self.result = result
    }
}
