import ArgumentParser
import BerthBase
import CRI
import Foundation

/// `berthctl pods`: the sandbox list as `crictl pods` prints it, newest first.
struct Pods: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List pods.")

    @ParentCommand var root: Berthctl

    @Option(help: "Only the pod with this id (or id prefix).")
    var id: String?

    @Option(help: "Only pods whose name matches this regular expression.")
    var name: Pattern?

    @Option(help: "Only pods whose namespace matches this regular expression.")
    var namespace: Pattern?

    @Option(help: "Only pods in this state: ready or notready.")
    var state: String?

    @Option(help: "Only pods with this label, KEY=VALUE; may be repeated.")
    var label: [String] = []

    @Flag(name: .shortAndLong, help: "Only show pod ids.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Show every field of each pod.")
    var verbose = false

    @Option(name: .shortAndLong, help: "Output format: json, yaml or table.")
    var output: OutputFormat = .table

    @Option(help: "Only the N most recently created pods.")
    var last = 0

    @Flag(name: .shortAndLong, help: "Only the most recently created pod.")
    var latest = false

    @Flag(name: .long, help: "Show ids in full.")
    var noTrunc = false

    func validate() throws {
        _ = try selection()
        if last < 0 { throw ValidationError("--last must not be negative") }
    }

    func selection() throws -> PodSelection {
        PodSelection(
            id: id, name: name, namespace: namespace, state: try state.map(StateName.podState),
            labels: try LabelSelector.parse(label), last: latest ? 1 : last)
    }

    func run() async throws {
        let selection = try selection()
        var response = Runtime_V1_ListPodSandboxResponse()
        response.items = try await root.withSession { session in
            selection.apply(try await session.listPods(selection.filter))
        }
        switch output {
        case .json, .yaml:
            try printDocument(JSONValue(message: response), as: output)
        case .table where quiet:
            response.items.forEach { print($0.id) }
        case .table where verbose:
            response.items.forEach { print(Self.details(of: $0)) }
        case .table:
            print(Self.table(response.items, truncate: !noTrunc), terminator: "")
        }
    }

    /// `POD ID  CREATED  STATE  NAME  NAMESPACE  ATTEMPT  RUNTIME`
    static func table(_ pods: [Runtime_V1_PodSandbox], truncate: Bool, now: Date = Date()) -> String {
        var table = Table(header: ["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"])
        for pod in pods {
            table.append([
                truncate ? truncatedID(pod.id) : pod.id,
                humanDuration(since: pod.createdAt, now: now),
                StateName.of(pod.state),
                pod.metadata.name,
                pod.metadata.namespace,
                String(pod.metadata.attempt),
                pod.runtimeHandler.isEmpty ? "(default)" : pod.runtimeHandler,
            ])
        }
        return table.render()
    }

    /// The fields crictl's `pods --verbose` prints.
    static func details(of pod: Runtime_V1_PodSandbox) -> String {
        var lines = [
            "ID: \(pod.id)",
            "Name: \(pod.metadata.name)",
            "UID: \(pod.metadata.uid)",
            "Namespace: \(pod.metadata.namespace)",
            "Attempt: \(pod.metadata.attempt)",
            "Status: \(StateName.of(pod.state))",
            "Created: \(rfc3339(nanoseconds: pod.createdAt))",
        ]
        if !pod.runtimeHandler.isEmpty { lines.append("Runtime: \(pod.runtimeHandler)") }
        lines += mapLines("Labels", pod.labels) + mapLines("Annotations", pod.annotations)
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `Labels:` then `\tkey -> value` sorted by key, or nothing for an empty map.
func mapLines(_ title: String, _ map: [String: String]) -> [String] {
    guard !map.isEmpty else { return [] }
    return ["\(title):"] + map.keys.sorted().map { "\t\($0) -> \(map[$0, default: ""])" }
}

/// Nanoseconds since the epoch as an RFC 3339 UTC time with nanoseconds.
func rfc3339(nanoseconds: Int64) -> String {
    let seconds = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
    var time = time_t(seconds.quotient)
    var parts = tm()
    gmtime_r(&time, &parts)
    let date = String(
        format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
        Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    return seconds.remainder == 0 ? date + "Z" : date + String(format: ".%09dZ", Int(seconds.remainder))
}
