import ArgumentParser
import BerthBase
import CRI
import Foundation

/// Ids given on the command line as unique prefixes, as crictl takes them.
enum IDPrefix {
    /// The one id in `ids` that is `prefix` or starts with it; `kind` names what the ids are
    /// ("container", "pod sandbox") in errors.
    static func resolve(_ prefix: String, among ids: [String], kind: String) throws(BerthError) -> String {
        guard !prefix.isEmpty else { throw BerthError(.invalidArgument, "an empty \(kind) id names nothing") }
        if ids.contains(prefix) { return prefix }
        let matches = Array(Set(ids.filter { $0.hasPrefix(prefix) })).sorted()
        switch matches.count {
        case 1: return matches[0]
        case 0: throw BerthError(.notFound, "no \(kind) has an id starting with \"\(prefix)\"")
        default:
            let shown = matches.prefix(5).map { truncatedID($0) }.joined(separator: ", ")
            throw BerthError(
                .invalidArgument,
                "\(kind) id prefix \"\(prefix)\" is ambiguous: it matches \(matches.count) (\(shown)\(matches.count > 5 ? ", …" : "")); give more of the id")
        }
    }
}

/// `KEY=VALUE` selectors from repeated `--label` options.
enum LabelSelector {
    static func parse(_ labels: [String]) throws(ValidationError) -> [String: String] {
        var selector: [String: String] = [:]
        for label in labels {
            guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                throw ValidationError("--label \"\(label)\" must be KEY=VALUE")
            }
            selector[String(label[..<equals])] = String(label[label.index(after: equals)...])
        }
        return selector
    }

    static func matches(_ labels: [String: String], _ selector: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// A regular expression option (`--name`, `--namespace`), matched anywhere in the text as Go's
/// `regexp.MatchString` does.
struct Pattern: ExpressibleByArgument, @unchecked Sendable {
    // Regex is not Sendable; a Pattern is only read after parsing, from one task.
    let text: String
    private let regex: Regex<AnyRegexOutput>

    init?(argument: String) {
        guard let regex = try? Regex(argument) else { return nil }
        text = argument
        self.regex = regex
    }

    func matches(_ value: String) -> Bool {
        (try? regex.firstMatch(in: value)) != nil
    }
}

/// crictl's names of sandbox and container states, for tables and `--state`.
enum StateName {
    static func of(_ state: Runtime_V1_PodSandboxState) -> String {
        switch state {
        case .sandboxReady: "Ready"
        case .sandboxNotready: "NotReady"
        case .UNRECOGNIZED(let value): "Unknown(\(value))"
        }
    }

    static func of(_ state: Runtime_V1_ContainerState) -> String {
        switch state {
        case .containerCreated: "Created"
        case .containerRunning: "Running"
        case .containerExited: "Exited"
        case .containerUnknown: "Unknown"
        case .UNRECOGNIZED(let value): "Unknown(\(value))"
        }
    }

    /// `ready` or `notready`, any case, with or without crictl's `SANDBOX_` prefix.
    static func podState(_ text: String) throws(ValidationError) -> Runtime_V1_PodSandboxState {
        switch bare(text, prefix: "sandbox_") {
        case "ready": return .sandboxReady
        case "notready": return .sandboxNotready
        default: throw ValidationError("--state \"\(text)\" is not a pod state: use ready or notready")
        }
    }

    /// `created`, `running`, `exited` or `unknown`, any case, with or without `CONTAINER_`.
    static func containerState(_ text: String) throws(ValidationError) -> Runtime_V1_ContainerState {
        switch bare(text, prefix: "container_") {
        case "created": return .containerCreated
        case "running": return .containerRunning
        case "exited": return .containerExited
        case "unknown": return .containerUnknown
        default:
            throw ValidationError("--state \"\(text)\" is not a container state: use created, running, exited or unknown")
        }
    }

    private static func bare(_ text: String, prefix: String) -> String {
        let lower = text.lowercased()
        return lower.hasPrefix(prefix) ? String(lower.dropFirst(prefix.count)) : lower
    }
}

/// Which sandboxes `pods` shows, newest first.
struct PodSelection: Sendable {
    var id: String?
    var name: Pattern?
    var namespace: Pattern?
    var state: Runtime_V1_PodSandboxState?
    var labels: [String: String] = [:]
    /// Only the newest this many; 0 for all.
    var last = 0

    /// The filter the runtime can apply itself; `apply` repeats it, so a runtime that ignores
    /// part of it changes nothing.
    var filter: Runtime_V1_PodSandboxFilter {
        var filter = Runtime_V1_PodSandboxFilter()
        if let state { filter.state.state = state }
        filter.labelSelector = labels
        return filter
    }

    func apply(_ pods: [Runtime_V1_PodSandbox]) -> [Runtime_V1_PodSandbox] {
        let chosen = pods.filter { pod in
            (id.map { pod.id.hasPrefix($0) } ?? true)
                && (name?.matches(pod.metadata.name) ?? true)
                && (namespace?.matches(pod.metadata.namespace) ?? true)
                && (state.map { pod.state == $0 } ?? true)
                && LabelSelector.matches(pod.labels, labels)
        }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        return last > 0 ? Array(chosen.prefix(last)) : chosen
    }
}

/// Which containers `ps` shows, newest first.
struct ContainerSelection: Sendable {
    var id: String?
    var name: Pattern?
    var podID: String?
    var state: Runtime_V1_ContainerState?
    var labels: [String: String] = [:]
    /// An image name or id; containers match by their image, image ref or image id.
    var image: String?
    /// The ids `image` resolved to, when the runtime knows it.
    var imageIDs: [String] = []
    /// Only the newest this many; 0 for all.
    var last = 0

    var filter: Runtime_V1_ContainerFilter {
        var filter = Runtime_V1_ContainerFilter()
        if let state { filter.state.state = state }
        if let podID { filter.podSandboxID = podID }
        filter.labelSelector = labels
        return filter
    }

    func apply(_ containers: [Runtime_V1_Container]) -> [Runtime_V1_Container] {
        let chosen = containers.filter { container in
            (id.map { container.id.hasPrefix($0) } ?? true)
                && (name?.matches(container.metadata.name) ?? true)
                && (podID.map { container.podSandboxID == $0 } ?? true)
                && (state.map { container.state == $0 } ?? true)
                && LabelSelector.matches(container.labels, labels)
                && (image.map { usesImage(container, $0) } ?? true)
        }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        return last > 0 ? Array(chosen.prefix(last)) : chosen
    }

    private func usesImage(_ container: Runtime_V1_Container, _ image: String) -> Bool {
        let names = [container.image.image, container.imageRef, container.imageID].filter { !$0.isEmpty }
        if names.contains(image) || names.contains(where: { imageIDs.contains($0) }) { return true }
        // An image id prefix, as `images` shows ids; too short a prefix would match by chance.
        let bare = image.hasPrefix("sha256:") ? String(image.dropFirst(7)) : image
        return bare.count >= 4 && names.contains { $0.hasPrefix("sha256:" + bare) }
    }
}

/// How long ago, as crictl's tables say it (go-units `HumanDuration` + " ago").
func humanDuration(since nanoseconds: Int64, now: Date = Date()) -> String {
    let seconds = now.timeIntervalSince1970 - Double(nanoseconds) / 1e9
    return humanDuration(seconds) + " ago"
}

func humanDuration(_ seconds: Double) -> String {
    let whole = Int(seconds)
    let minutes = Int(seconds / 60)
    let hours = Int(seconds / 3600 + 0.5)
    switch true {
    case whole < 1: return "Less than a second"
    case whole == 1: return "1 second"
    case whole < 60: return "\(whole) seconds"
    case minutes == 1: return "About a minute"
    case minutes < 60: return "\(minutes) minutes"
    case hours == 1: return "About an hour"
    case hours < 48: return "\(hours) hours"
    case hours < 24 * 7 * 2: return "\(hours / 24) days"
    case hours < 24 * 30 * 2: return "\(hours / 24 / 7) weeks"
    case hours < 24 * 365 * 2: return "\(hours / 24 / 30) months"
    default: return "\(Int(seconds / 3600) / 24 / 365) years"
    }
}
