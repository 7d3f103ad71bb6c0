import BerthBase

/// A host port forwarded to the pod, as the `portMappings` capability passes it to plugins.
public struct PortMapping: Sendable, Codable, Equatable {
    public var hostPort: Int32
    public var containerPort: Int32
    /// `tcp`, `udp` or `sctp`.
    public var `protocol`: String
    /// Empty: every host address.
    public var hostIP: String

    public init(hostPort: Int32, containerPort: Int32, protocol: String = "tcp", hostIP: String = "") {
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.protocol = `protocol`
        self.hostIP = hostIP
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "hostPort": .int(Int64(hostPort)), "containerPort": .int(Int64(containerPort)), "protocol": .string(`protocol`),
        ]
        if !hostIP.isEmpty { object["hostIP"] = .string(hostIP) }
        return .object(object)
    }
}
