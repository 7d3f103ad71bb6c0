import BerthBase
import OCIImage

/// Every test image, in build order.
enum Catalog {
    static let recipes: [Recipe] = [
        .busybox("busybox", tags: ["latest", "1.35"], summary: "the default image: busybox, Cmd [\"sh\"]"),
        .busybox("busybox-user-1002", summary: "USER 1002", user: "1002"),
        .busybox("busybox-user-www-data", summary: "USER www-data", user: "www-data"),
        .busybox("busybox-user-1003-1004", summary: "USER 1003:1004", user: "1003:1004"),
        .busybox("busybox-user-www-data-1004", summary: "USER www-data:1004", user: "www-data:1004"),
        .busybox(
            "busybox-tags", tags: ["a", "b", "c"], summary: "one image under three tags",
            labels: [("org.berth.test.image", "busybox-tags")]
        ),
        distinct(1), distinct(2), distinct(3),
        layers120,
        large,
        multiarch,
        dockerSchema2,
        zstd,
        ProbeImage.recipe,
    ]

    static func named(_ names: [String]?) throws(BerthError) -> [Recipe] {
        guard let names else { return recipes }
        let known = Set(recipes.map(\.name))
        if let unknown = names.first(where: { !known.contains($0) }) {
            throw BerthError(.invalidArgument, "unknown image \"\(unknown)\" (known: \(recipes.map(\.name).joined(separator: ", ")))")
        }
        return recipes.filter { names.contains($0.name) }
    }

    /// Three images that differ by a small layer of their own.
    static func distinct(_ number: Int) -> Recipe {
        Recipe(name: "busybox-distinct-\(number)", summary: "busybox plus /distinct holding \"\(number)\"", expectation: .init(layers: 2)) { layout throws(BerthError) in
            var parts = try BusyboxRootfs.image(in: layout)
            let layer = try LayerWriter.write([.file("distinct", "\(number)\n")], into: layout)
            parts.add(layer, createdBy: "berth-testimages: /distinct = \(number)")
            return try layout.writeImage(parts)
        }
    }

    /// Where `layers-120` deletes things, so tests can check the merged view.
    enum LayerEvents {
        static let addRemoved = 10, addOpaqueOld = 20, whiteoutRemoved = 60, opaqueReplace = 80
    }

    /// busybox plus 119 one-file layers; one layer deletes an earlier file with a whiteout and
    /// one hides a directory's earlier content with an opaque marker. Merged view: /layers/1
    /// to /layers/119 and /opaque/new exist; /layers/removed and /opaque/old-* do not.
    static let layers120 = Recipe(
        name: "layers-120", summary: "120 layers with a whiteout and an opaque directory",
        expectation: .init(layers: 120)
    ) { layout throws(BerthError) in
        var parts = try BusyboxRootfs.image(in: layout)
        for number in 1...119 {
            var entries: [LayerEntry] = [.file("layers/\(number)", "\(number)\n")]
            switch number {
            case LayerEvents.addRemoved: entries.append(.file("layers/removed", "deleted by layer \(LayerEvents.whiteoutRemoved)\n"))
            case LayerEvents.addOpaqueOld: entries += [.file("opaque/old-1", "hidden\n"), .file("opaque/old-2", "hidden\n")]
            case LayerEvents.whiteoutRemoved: entries.append(.whiteout(of: "layers/removed"))
            case LayerEvents.opaqueReplace: entries += [.opaque("opaque"), .file("opaque/new", "visible\n")]
            default: break
            }
            let layer = try LayerWriter.write(entries, into: layout)
            parts.add(layer, createdBy: "berth-testimages: /layers/\(number)")
        }
        parts.label("org.berth.test.present", "/layers/1 … /layers/119, /opaque/new")
        parts.label("org.berth.test.absent", "/layers/removed, /opaque/old-1, /opaque/old-2")
        return try layout.writeImage(parts)
    }

    static let largeRoots = [
        HostTree.Root(path: "/usr/lib/x86_64-linux-gnu", budget: 100_000_000),
        HostTree.Root(path: "/usr/share", budget: 100_000_000),
    ]
    static let largeLayerCount = 6

    /// ~200 MB of real host files over six layers of similar size, on top of busybox.
    static let large = Recipe(
        name: "large", summary: "busybox plus ~200 MB of host files in 6 layers",
        expectation: .init(layers: 1 + largeLayerCount),
        inputs: {
            HostTree.select(largeRoots).map { entry in
                switch entry.content {
                case .hostFile(_, let size): "\(entry.path) \(entry.permissions) \(size)"
                case .symlink(let target): "\(entry.path) -> \(target)"
                default: entry.path
                }
            }.joined(separator: "\n")
        }
    ) { layout throws(BerthError) in
        var parts = try BusyboxRootfs.image(in: layout)
        let groups = HostTree.split(HostTree.select(largeRoots), into: largeLayerCount)
        for (number, group) in groups.enumerated() {
            let layer = try LayerWriter.write(group, into: layout)
            parts.add(layer, createdBy: "berth-testimages: host files, part \(number + 1) of \(largeLayerCount)")
        }
        return try layout.writeImage(parts)
    }

    /// An index: linux/amd64 busybox, a linux/arm64/v8 image holding only a marker file, and
    /// a BuildKit-style attestation manifest for unknown/unknown that refers to the amd64 one.
    static let multiarch = Recipe(
        name: "multiarch", summary: "index: linux/amd64, linux/arm64/v8, attestation unknown/unknown",
        expectation: .init(mediaType: MediaType.ociIndex, platforms: ["linux/amd64", "linux/arm64/v8", "unknown/unknown"])
    ) { layout throws(BerthError) in
        let amd64 = try layout.writeImage(try BusyboxRootfs.image(in: layout))

        var arm = ImageParts(platform: Platform(os: "linux", architecture: "arm64", variant: "v8"))
        arm.add(try LayerWriter.write([.file("etc/arch-marker", "linux/arm64\n")], into: layout), createdBy: "berth-testimages: arm64 marker")
        arm.execution.cmd = ["sh"]
        let arm64 = try layout.writeImage(arm)

        var attestation = try layout.writeImage(try provenance(for: amd64, in: layout))
        attestation.annotations = [
            "vnd.docker.reference.digest": amd64.digest.description,
            "vnd.docker.reference.type": "attestation-manifest",
        ]
        return try layout.putJSON(Index(manifests: [amd64, arm64, attestation]), mediaType: MediaType.ociIndex)
    }

    /// A small in-toto statement as BuildKit attaches it, for the attestation manifest.
    private static func provenance(for subject: Descriptor, in layout: LayoutWriter) throws(BerthError) -> ImageParts {
        let predicateType = "https://slsa.dev/provenance/v0.2"
        let statement = """
            {"_type":"https://in-toto.io/Statement/v0.1","predicate":{"builder":{"id":"berth-testimages"}},\
            "predicateType":"\(predicateType)","subject":[{"digest":{"sha256":"\(subject.digest.encoded)"},"name":"multiarch"}]}
            """
        var blob = try layout.put(Array(statement.utf8), mediaType: "application/vnd.in-toto+json")
        blob.annotations = ["in-toto.io/predicate-type": predicateType]
        var parts = ImageParts(platform: Platform(os: "unknown", architecture: "unknown"))
        parts.layers = [Layer(descriptor: blob, diffID: blob.digest, uncompressedSize: blob.size)]
        parts.history = []
        return parts
    }

    /// busybox written with Docker image manifest v2 schema 2 media types throughout.
    /// busybox plus a zstd-compressed layer (`tar+zstd`), so a pull unpacks both kinds.
    static let zstd = Recipe(
        name: "busybox-zstd", summary: "busybox plus a zstd layer holding /zstd/greeting",
        expectation: .init(layers: 2)
    ) { layout throws(BerthError) in
        var parts = try BusyboxRootfs.image(in: layout)
        let layer = try LayerWriter.write([.file("zstd/greeting", "unpacked from zstd\n")], into: layout, compression: .zstd)
        parts.add(layer, createdBy: "berth-testimages: /zstd/greeting in a tar+zstd layer")
        return try layout.writeImage(parts)
    }

    static let dockerSchema2 = Recipe(
        name: "docker-schema2", summary: "busybox with Docker schema 2 media types",
        expectation: .init(mediaType: MediaType.dockerManifest)
    ) { layout throws(BerthError) in
        try layout.writeImage(try BusyboxRootfs.image(in: layout, flavor: .docker), flavor: .docker)
    }
}
