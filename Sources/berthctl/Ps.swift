import ArgumentParser
import BerthBase
import CRI
import Foundation

/// `berthctl ps`: the container list as `crictl ps` prints it, newest first; only running
/// containers unless `--all` or `--state`.
struct Ps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List containers.")

    @ParentCommand var root: Berthctl

    @Flag(name: .shortAndLong, help: "Show containers in every state.")
    var all = false

    @Option(help: "Only the container with this id (or id prefix).")
    var id: String?

    @Option(help: "Only containers whose name matches this regular expression.")
    var name: Pattern?

    @Option(name: [.short, .long], help: "Only containers of this pod (id or unique prefix).")
    var pod: String?

    @Option(help: "Only containers in this state: created, running, exited or unknown.")
    var state: String?

    @Option(help: "Only containers with this label, KEY=VALUE; may be repeated.")
    var label: [String] = []

    @Option(help: "Only containers of this image (name, ref or id).")
    var image: String?

    @Flag(name: .shortAndLong, help: "Only show container ids.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Show every field of each container.")
    var verbose = false

    @Option(name: .shortAndLong, help: "Output format: json, yaml or table.")
    var output: OutputFormat = .table

    @Option(help: "Only the N most recently created containers.")
    var last = 0

    @Flag(name: .shortAndLong, help: "Only the most recently created container.")
    var latest = false

    @Flag(name: .long, help: "Show ids in full.")
    var noTrunc = false

    func validate() throws {
        _ = try state.map(StateName.containerState)
        _ = try LabelSelector.parse(label)
        if last < 0 { throw ValidationError("--last must not be negative") }
    }

    func run() async throws {
        var selection = ContainerSelection(
            id: id, name: name, state: try state.map(StateName.containerState),
            labels: try LabelSelector.parse(label), image: image, last: latest ? 1 : last)
        if selection.state == nil && !all { selection.state = .containerRunning }
        let (containers, pods) = try await root.withSession { session in
            let pods = try await session.listPods()
            if let pod {
                selection.podID = try IDPrefix.resolve(pod, among: pods.map(\.id), kind: "pod sandbox")
            }
            if let image {
                selection.imageIDs = try await Self.imageIDs(image, session: session)
            }
            return (selection.apply(try await session.listContainers(selection.filter)), pods)
        }
        var response = Runtime_V1_ListContainersResponse()
        response.containers = containers
        switch output {
        case .json, .yaml:
            try printDocument(JSONValue(message: response), as: output)
        case .table where quiet:
            containers.forEach { print($0.id) }
        case .table where verbose:
            containers.forEach { print(Self.details(of: $0)) }
        case .table:
            let podNames = Dictionary(pods.map { ($0.id, $0.metadata.name) }, uniquingKeysWith: { first, _ in first })
            print(Self.table(containers, podNames: podNames, truncate: !noTrunc), terminator: "")
        }
    }

    /// The id the runtime stores `image` under, so containers that name it otherwise match too.
    private static func imageIDs(_ image: String, session: Session) async throws(BerthError) -> [String] {
        var request = Runtime_V1_ImageStatusRequest()
        request.image.image = image
        let status = try await session.call(Method.image("ImageStatus"), request, as: Runtime_V1_ImageStatusResponse.self)
        return status.hasImage && !status.image.id.isEmpty ? [status.image.id] : []
    }

    /// `CONTAINER  IMAGE  CREATED  STATE  NAME  ATTEMPT  POD ID  POD`
    static func table(
        _ containers: [Runtime_V1_Container], podNames: [String: String], truncate: Bool, now: Date = Date()
    ) -> String {
        var table = Table(header: ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"])
        for container in containers {
            var image = container.image.image.isEmpty ? container.imageRef : container.image.image
            // An image named by its id reads better cut short, as `images` shows ids.
            if truncate, image.hasPrefix("sha256:") { image = truncatedID(image) }
            table.append([
                truncate ? truncatedID(container.id) : container.id,
                image,
                humanDuration(since: container.createdAt, now: now),
                StateName.of(container.state),
                container.metadata.name,
                String(container.metadata.attempt),
                truncate ? truncatedID(container.podSandboxID) : container.podSandboxID,
                podNames[container.podSandboxID] ?? "unknown",
            ])
        }
        return table.render()
    }

    /// The fields crictl's `ps --verbose` prints.
    static func details(of container: Runtime_V1_Container) -> String {
        var lines = [
            "ID: \(container.id)",
            "PodID: \(container.podSandboxID)",
            "Name: \(container.metadata.name)",
            "Attempt: \(container.metadata.attempt)",
            "State: \(StateName.of(container.state))",
            "Image: \(container.image.image)",
            "Created: \(rfc3339(nanoseconds: container.createdAt))",
        ]
        lines += mapLines("Labels", container.labels) + mapLines("Annotations", container.annotations)
        return lines.joined(separator: "\n") + "\n"
    }
}
