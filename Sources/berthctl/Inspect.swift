import ArgumentParser
import BerthBase
import CRI

/// `berthctl inspecti IMAGE...`: the verbose image status, laid out as `crictl inspecti`
/// does — the image under `status`, then every `info` entry with JSON values unfolded.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspecti", abstract: "Return the status of one or more images.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Image references or ids.")
    var images: [String]

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: OutputFormat = .json

    func run() async throws {
        try await root.withSession { session in
            for reference in images {
                var request = Runtime_V1_ImageStatusRequest()
                request.image.image = reference
                request.verbose = true
                let status = try await session.call(
                    Method.image("ImageStatus"), request, as: Runtime_V1_ImageStatusResponse.self)
                guard status.hasImage, !status.image.id.isEmpty else {
                    throw BerthError(.notFound, "no such image \(reference)")
                }
                try printDocument(Self.document(for: status), as: output)
            }
        }
    }

    static func document(for status: Runtime_V1_ImageStatusResponse) throws(BerthError) -> JSONValue {
        var members: [String: JSONValue] = ["status": try JSONValue(message: status.image)]
        for (key, value) in status.info {
            members[key] = JSONValue(embedded: value)
        }
        return .object(members)
    }
}
