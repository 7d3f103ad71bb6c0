import ArgumentParser
import BerthBase
import CRI

/// `berthctl version`: the runtime's name and versions, as `crictl version` prints them.
struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Display runtime version information.")

    @ParentCommand var root: Berthctl

    @Option(name: .shortAndLong, help: "Output format: json, yaml or table.")
    var output: OutputFormat = .table

    func run() async throws {
        var request = Runtime_V1_VersionRequest()
        request.version = "v1"
        let version = try await root.withSession { session in
            try await session.call(Method.runtime("Version"), request, as: Runtime_V1_VersionResponse.self)
        }
        switch output {
        case .table:
            print("Version:  \(version.version)")
            print("RuntimeName:  \(version.runtimeName)")
            print("RuntimeVersion:  \(version.runtimeVersion)")
            print("RuntimeApiVersion:  \(version.runtimeApiVersion)")
        case .json, .yaml:
            try printDocument(JSONValue(message: version), as: output)
        }
    }
}
