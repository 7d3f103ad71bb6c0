import ArgumentParser
import BerthBase
import CRI

/// `berthctl info`: the verbose runtime status, laid out as `crictl info` does — the status
/// conditions, the handlers and features, then every `info` entry with JSON values unfolded.
struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Display information of the container runtime.")

    @ParentCommand var root: Berthctl

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: OutputFormat = .json

    func run() async throws {
        var request = Runtime_V1_StatusRequest()
        request.verbose = true
        let status = try await root.withSession { session in
            try await session.call(Method.runtime("Status"), request, as: Runtime_V1_StatusResponse.self)
        }
        try printDocument(Self.document(for: status), as: output)
    }

    static func document(for status: Runtime_V1_StatusResponse) throws -> JSONValue {
        var members: [String: JSONValue] = ["status": try JSONValue(message: status.status)]
        if !status.runtimeHandlers.isEmpty {
            members["runtimeHandlers"] = .array(try status.runtimeHandlers.map { try JSONValue(message: $0) })
        }
        if status.hasFeatures {
            members["features"] = try JSONValue(message: status.features)
        }
        for (key, value) in status.info {
            members[key] = JSONValue(embedded: value)
        }
        return .object(members)
    }
}
