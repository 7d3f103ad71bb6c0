/// CRI list filters: a label selector matches when every pair is present with that value.
public func labelsMatch(_ labels: [String: String], selector: [String: String]) -> Bool {
    selector.allSatisfy { labels[$0.key] == $0.value }
}

/// Resolves a full id or a unique prefix of one (as crictl and containerd accept) among `ids`.
public func resolveID(_ query: String, among ids: some Sequence<String>) -> ResolvedID {
    var found: String?
    for id in ids where id.hasPrefix(query) {
        if id == query { return .found(id) }
        if found != nil { return .ambiguous }
        found = id
    }
    return found.map(ResolvedID.found) ?? .missing
}

public enum ResolvedID: Equatable, Sendable {
    case found(String)
    case ambiguous
    case missing
}
