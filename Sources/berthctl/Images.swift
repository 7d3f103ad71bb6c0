import ArgumentParser
import BerthBase
import CRI

/// `berthctl image …`: crictl's `image` lists images; here it also holds `import`.
struct ImageGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "List images, or import them (image import).",
        subcommands: [Images.self, Import.self],
        defaultSubcommand: Images.self
    )
}

/// `berthctl images [NAME]`: the image list as `crictl images` prints it.
struct Images: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List images.", aliases: ["img"])

    @ParentCommand var root: Berthctl

    @Argument(help: "Only images with this reference, e.g. busybox:latest.")
    var name: String?

    @Flag(name: .shortAndLong, help: "Only show image ids.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Show every field of each image.")
    var verbose = false

    @Flag(name: .long, help: "Show digests.")
    var digests = false

    @Flag(name: .long, help: "Show ids in full.")
    var noTrunc = false

    @Option(name: .shortAndLong, help: "Output format: json, yaml or table.")
    var output: OutputFormat = .table

    func run() async throws {
        var request = Runtime_V1_ListImagesRequest()
        if let name {
            request.filter.image.image = name
        }
        var response = try await root.withSession { session in
            try await session.call(Method.image("ListImages"), request, as: Runtime_V1_ListImagesResponse.self)
        }
        response.images.sort { ($0.repoTags.first ?? $0.id, $0.id) < ($1.repoTags.first ?? $1.id, $1.id) }
        switch output {
        case .json, .yaml:
            try printDocument(JSONValue(message: response), as: output)
        case .table where quiet:
            response.images.forEach { print($0.id) }
        case .table where verbose:
            response.images.forEach { print(Self.details(of: $0)) }
        case .table:
            print(Self.table(response.images, digests: digests, truncate: !noTrunc), terminator: "")
        }
    }

    /// `IMAGE  TAG  [DIGEST]  IMAGE ID  SIZE`, one row per tag.
    static func table(_ images: [Runtime_V1_Image], digests: Bool, truncate: Bool) -> String {
        var table = Table(header: digests ? ["IMAGE", "TAG", "DIGEST", "IMAGE ID", "SIZE"] : ["IMAGE", "TAG", "IMAGE ID", "SIZE"])
        for image in images {
            let (repository, digest) = splitDigest(image.repoDigests.first)
            let id = truncate ? truncatedID(image.id) : image.id
            let shownDigest = truncate ? truncatedID(digest) : digest
            for (name, tag) in repositoryTagPairs(image.repoTags, fallback: repository) {
                table.append(
                    digests
                        ? [name, tag, shownDigest, id, humanSize(image.size)]
                        : [name, tag, id, humanSize(image.size)])
            }
        }
        return table.render()
    }

    /// The fields crictl's `images --verbose` prints, one per line.
    static func details(of image: Runtime_V1_Image) -> String {
        var lines = ["ID: \(image.id)"]
        lines += image.repoTags.map { "RepoTags: \($0)" }
        lines += image.repoDigests.map { "RepoDigests: \($0)" }
        if image.size != 0 { lines.append("Size: \(image.size)") }
        if image.hasUid { lines.append("Uid: \(image.uid.value)") }
        if !image.username.isEmpty { lines.append("Username: \(image.username)") }
        if image.pinned { lines.append("Pinned: true") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `name@sha256:…` split in two; `<none>` for either part that is missing.
    static func splitDigest(_ repoDigest: String?) -> (repository: String, digest: String) {
        guard let repoDigest, let at = repoDigest.firstIndex(of: "@") else { return ("<none>", "<none>") }
        return (String(repoDigest[..<at]), String(repoDigest[repoDigest.index(after: at)...]))
    }

    /// `registry:port/name:tag` split into name and tag (the port's colon is not a tag's);
    /// an image with no tag shows as `<none>`.
    static func repositoryTagPairs(_ tags: [String], fallback: String) -> [(String, String)] {
        guard !tags.isEmpty else { return [(fallback, "<none>")] }
        return tags.map { tag in
            let nameEnd = tag.lastIndex(of: "/") ?? tag.startIndex
            guard let colon = tag[nameEnd...].lastIndex(of: ":") else { return (tag, "<none>") }
            return (String(tag[..<colon]), String(tag[tag.index(after: colon)...]))
        }
    }
}
