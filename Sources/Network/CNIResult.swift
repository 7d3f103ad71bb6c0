import BerthBase

/// What an ADD returned that Berth uses: the pod's addresses. The whole result is kept as
/// JSON, for the next plugin's `prevResult` and for DEL and CHECK.
public struct CNIResult: Sendable, Equatable {
    public struct IP: Sendable, Equatable {
        /// The address without its prefix length (`10.88.0.5`).
        public var address: String
        public var prefixLength: Int?
        public var gateway: String?
        public var isIPv6: Bool { address.contains(":") }
    }

    public var cniVersion: String
    /// Addresses on interfaces inside the pod (or not tied to any interface).
    public var ips: [IP]
    public var raw: JSONValue

    /// Reads a result of spec version 0.4.0 or 1.0.0 (the `ips` list of `{address, gateway,
    /// interface}`); an IP whose `interface` index names a host-side interface (no
    /// `sandbox`) is not the pod's.
    public init(parsing raw: JSONValue) throws(JSONProblem) {
        guard raw.object != nil else { throw JSONProblem("the result is not a JSON object") }
        self.raw = raw
        self.cniVersion = raw["cniVersion"]?.string ?? ""
        let interfaces = raw["interfaces"]?.array ?? []
        var ips: [IP] = []
        for (index, entry) in (raw["ips"]?.array ?? []).enumerated() {
            guard let cidr = entry["address"]?.string else { throw JSONProblem("ips[\(index)] has no \"address\"") }
            if let slot = entry["interface"]?.int {
                guard slot >= 0, Int(slot) < interfaces.count else {
                    throw JSONProblem("ips[\(index)]: interface \(slot) is not in \"interfaces\"")
                }
                let sandbox = interfaces[Int(slot)]["sandbox"]?.string ?? ""
                if sandbox.isEmpty { continue }
            }
            let parts = cidr.split(separator: "/", maxSplits: 1)
            guard let address = parts.first, !address.isEmpty else { throw JSONProblem("ips[\(index)]: bad address \"\(cidr)\"") }
            ips.append(IP(
                address: String(address), prefixLength: parts.count == 2 ? Int(parts[1]) : nil,
                gateway: entry["gateway"]?.string))
        }
        self.ips = ips
    }

    /// The pod's addresses, IPv4 first (the primary one, as kubelet expects), in result order.
    public var podIPs: [String] {
        ips.filter { !$0.isIPv6 }.map(\.address) + ips.filter(\.isIPv6).map(\.address)
    }
}

/// A plugin's failure as the spec shapes it: `{"code": N, "msg": "...", "details": "..."}`.
public struct CNIPluginError: Sendable, Equatable {
    public var code: Int
    public var msg: String
    public var details: String

    /// The error object, or nil when `bytes` is not one.
    public init?(parsing bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes), let code = value["code"]?.int else { return nil }
        self.code = Int(code)
        self.msg = value["msg"]?.string ?? ""
        self.details = value["details"]?.string ?? ""
    }

    public init(code: Int, msg: String, details: String = "") {
        self.code = code
        self.msg = msg
        self.details = details
    }

    /// The spec's well-known codes.
    public var codeName: String? {
        switch code {
        case 1: "incompatible CNI version"
        case 2: "unsupported field in network configuration"
        case 3: "container unknown or does not exist"
        case 4: "invalid necessary environment variables"
        case 5: "I/O failure"
        case 6: "failed to decode content"
        case 7: "invalid network config"
        case 11: "try again later"
        default: nil
        }
    }

    public var text: String {
        var text = "code \(code)"
        if let codeName { text += " (\(codeName))" }
        text += ": \(msg.isEmpty ? "no message" : msg)"
        if !details.isEmpty { text += " (\(details))" }
        return text
    }
}
