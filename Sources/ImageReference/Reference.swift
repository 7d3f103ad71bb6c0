import BerthBase

/// An image reference, normalised the way containerd and Docker do:
/// `busybox` is `docker.io/library/busybox:latest`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with its port when one was given: `docker.io`, `127.0.0.1:5000`.
    public var domain: String
    /// The repository path inside the registry: `library/busybox`.
    public var path: String
    public var tag: String?
    public var digest: Digest?

    /// The registry Docker Hub references name, whatever spelling the user chose.
    public static let dockerHubDomain = "docker.io"

    /// Parses and normalises `text`; every refusal names the input and what is wrong with it.
    public init(parsing text: String) throws(BerthError) {
        func refuse(_ problem: String) -> BerthError {
            BerthError(.invalidArgument, "invalid reference \"\(text)\": \(problem)")
        }
        guard !text.isEmpty else { throw refuse("empty") }
        if ReferenceGrammar.isHexIdentifier(text) {
            throw refuse("a 64-digit hexadecimal string is an image id, not a repository name")
        }

        var remainder = Substring(text)
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            let digestText = String(remainder[remainder.index(after: at)...])
            do {
                digest = try Digest(parsing: digestText)
            } catch {
                throw refuse("bad digest \"\(digestText)\"")
            }
            remainder = remainder[..<at]
        }

        // A colon after the last slash starts the tag; one before it belongs to a port.
        var tag: String?
        let lastSlash = remainder.lastIndex(of: "/") ?? remainder.startIndex
        if let colon = remainder[lastSlash...].lastIndex(of: ":") {
            let tagText = String(remainder[remainder.index(after: colon)...])
            guard ReferenceGrammar.isTag(tagText) else {
                throw refuse("bad tag \"\(tagText)\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})")
            }
            tag = tagText
            remainder = remainder[..<colon]
        }

        let (domain, path) = try Self.split(name: remainder, refuse: refuse)
        let name = "\(domain)/\(path)"
        guard name.utf8.count <= ReferenceGrammar.maxNameLength else {
            throw refuse("name is \(name.utf8.count) characters long, more than \(ReferenceGrammar.maxNameLength)")
        }

        self.domain = domain
        self.path = path
        self.digest = digest
        // Same as Docker: `latest` is implied only when nothing pins the image.
        self.tag = tag ?? (digest == nil ? "latest" : nil)
    }

    /// Splits a name into registry and repository path, adding Docker Hub's defaults.
    private static func split(name: Substring, refuse: (String) -> BerthError) throws(BerthError) -> (String, String) {
        guard !name.isEmpty else { throw refuse("missing repository name") }
        var domain = dockerHubDomain
        var path = String(name)
        if let slash = name.firstIndex(of: "/") {
            let first = name[..<slash]
            // Docker's rule: a first component that looks like a host (a dot, a port,
            // `localhost`, or capitals, which no repository may hold) names the registry.
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                guard ReferenceGrammar.isDomain(first) else { throw refuse("bad registry host \"\(first)\"") }
                domain = String(first)
                path = String(name[name.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = dockerHubDomain }
        if domain == dockerHubDomain && !path.contains("/") { path = "library/" + path }

        guard path.lowercased() == path else { throw refuse("repository name must be lowercase") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard ReferenceGrammar.isPathComponent(component) else {
                if component.isEmpty { throw refuse("empty path component in repository name \"\(path)\"") }
                throw refuse("bad path component \"\(component)\" (lowercase letters and digits, joined by single '.' or '_', '__', or dashes)")
            }
        }
        return (domain, path)
    }

    /// `domain/path`, the repository without tag or digest.
    public var name: String { "\(domain)/\(path)" }

    /// The full normalised reference: `name[:tag][@digest]`.
    public var description: String {
        var text = name
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// `name:tag`, as CRI reports repo tags; nil without a tag.
    public var tagged: String? { tag.map { "\(name):\($0)" } }

    /// `name@digest`, as CRI reports repo digests; nil without a digest.
    public var digested: String? { digest.map { "\(name)@\($0)" } }

    /// The same reference pinned to `digest`, keeping its tag as containerd does.
    public func withDigest(_ digest: Digest) -> Reference {
        var copy = self
        copy.digest = digest
        return copy
    }

    /// The same reference with `tag` instead of its current one, keeping any digest.
    public func withTag(_ tag: String) throws(BerthError) -> Reference {
        guard ReferenceGrammar.isTag(tag) else {
            throw BerthError(.invalidArgument, "invalid tag \"\(tag)\" for \(name): want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
        }
        var copy = self
        copy.tag = tag
        return copy
    }
}
