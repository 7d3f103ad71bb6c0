import ArgumentParser
import BerthBase
import CRI
import SwiftProtobuf

/// `berthctl inspectp POD...`: each sandbox's verbose status as `crictl inspectp` prints it,
/// `{"status": …}` with every `info` entry next to it.
struct InspectPod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspectp", abstract: "Display the status of one or more pods.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Pod sandbox ids or unique prefixes of them.")
    var pods: [String]

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: OutputFormat = .json

    func run() async throws {
        try await root.withSession { session in
            for id in try await session.resolvePods(pods) {
                let status = try await session.podStatus(id, verbose: true)
                try printDocument(statusDocument(status.status, info: status.info), as: output)
            }
        }
    }
}

/// `berthctl inspect CONTAINER...`: each container's verbose status as `crictl inspect`
/// prints it, `{"status": …}` with every `info` entry next to it.
struct InspectContainer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Display the status of one or more containers.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Container ids or unique prefixes of them.")
    var containers: [String]

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: OutputFormat = .json

    func run() async throws {
        try await root.withSession { session in
            for id in try await session.resolveContainers(containers) {
                let status = try await session.containerStatus(id, verbose: true)
                try printDocument(statusDocument(status.status, info: status.info), as: output)
            }
        }
    }
}

/// `{"status": <message>, <key>: <info value>…}`, info values that hold JSON unfolded.
func statusDocument(_ status: some SwiftProtobuf.Message, info: [String: String]) throws(BerthError) -> JSONValue {
    var members: [String: JSONValue] = ["status": try JSONValue(message: status)]
    for (key, value) in info where key != "status" {
        members[key] = JSONValue(embedded: value)
    }
    return .object(members)
}
