import BerthBase
import OCIImage

/// One test image: its repository name, its tags, how to build it, and what a registry
/// must serve for it afterwards.
struct Recipe: Sendable {
    /// Bump when any recipe's output changes, so existing layouts are rebuilt.
    static let version = 1

    var name: String
    var tags: [String] = ["latest"]
    var summary: String
    var expectation = Expectation()
    /// Inputs other than busybox that decide the bytes (the host files `large` takes).
    var inputs: @Sendable () -> String = { "" }
    /// Writes the image's blobs and returns the descriptor the layout's index names.
    var make: @Sendable (LayoutWriter) throws(BerthError) -> Descriptor

    /// What `verify` checks in the registry.
    struct Expectation: Sendable {
        var mediaType = MediaType.ociManifest
        var layers = 1
        var user: String?
        /// For an index: the platform of each manifest it lists, in order.
        var platforms: [String]?
    }

    /// A digest of everything that decides the recipe's bytes; stored in the layout's index
    /// so an unchanged recipe is not rebuilt.
    func fingerprint(busybox: Digest) -> String {
        let text = "berth-testimages recipe v\(Self.version)\n\(name)\n\(tags.joined(separator: ","))\nbusybox \(busybox)\n\(inputs())"
        return SHA256Hasher.digest(Array(text.utf8)).description
    }
}

extension Recipe {
    /// The busybox image with a few config-only changes on top.
    static func busybox(
        _ name: String, tags: [String] = ["latest"], summary: String, user: String? = nil,
        labels: [(String, String)] = []
    ) -> Recipe {
        Recipe(name: name, tags: tags, summary: summary, expectation: Expectation(user: user)) { layout throws(BerthError) in
            var parts = try BusyboxRootfs.image(in: layout)
            if let user { parts.user(user) }
            for (key, value) in labels { parts.label(key, value) }
            return try layout.writeImage(parts)
        }
    }
}
