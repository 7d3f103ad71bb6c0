import BerthBase
import OCIImage
import Testing

@Suite struct PlatformParsingTests {
    static let accepted: [(String, String)] = [
        ("linux/amd64", "linux/amd64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm64", "linux/arm64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
        ("linux/armhf", "linux/arm/v7"),
        ("Linux/AMD64", "linux/amd64"),
        ("linux/riscv64", "linux/riscv64"),
        ("linux/ppc64le", "linux/ppc64le"),
    ]

    @Test(arguments: accepted)
    func parses(_ text: String, _ expected: String) throws {
        #expect(try Platform(parsing: text).description == expected)
    }

    @Test func keepsTheParts() throws {
        let platform = try Platform(parsing: "linux/arm/v6")
        #expect(platform.os == "linux")
        #expect(platform.architecture == "arm")
        #expect(platform.variant == "v6")
        #expect(try Platform(parsing: "linux/amd64") == .linuxAMD64)
    }

    static let refused: [(String, String)] = [
        ("", "want os/architecture[/variant]"),
        ("linux", "want os/architecture[/variant]"),
        ("linux/", "want os/architecture[/variant]"),
        ("linux/amd64/v1/x", "want os/architecture[/variant]"),
        ("linux//v7", "want os/architecture[/variant]"),
        ("linux/amd 64", "\"amd 64\" has characters other than"),
    ]

    @Test(arguments: refused)
    func refuses(_ text: String, _ expected: String) {
        #expect {
            try Platform(parsing: text)
        } throws: { error in
            guard let error = error as? BerthError else { return false }
            return error.message.hasPrefix("invalid platform \"\(text)\": ") && error.message.contains(expected)
        }
    }
}

@Suite struct ManifestSelectionTests {
    static func entry(_ platform: String?, _ n: Int, annotations: [String: String]? = nil, mediaType: String = MediaType.ociManifest) -> Descriptor {
        let parts = platform?.split(separator: "/").map(String.init)
        return Descriptor(
            mediaType: mediaType,
            digest: Digest(sha256Hex: String(repeating: String(n), count: 64)),
            size: 500,
            annotations: annotations,
            platform: parts.map { Platform(os: $0[0], architecture: $0[1], variant: $0.count > 2 ? $0[2] : nil) }
        )
    }

    /// Shaped like a BuildKit multi-platform index with provenance attestations.
    static let index = Index(manifests: [
        entry("linux/amd64", 1),
        entry("linux/arm/v6", 2),
        entry("linux/arm/v7", 3),
        entry("linux/arm64/v8", 4),
        entry("linux/s390x", 5),
        entry("unknown/unknown", 6, annotations: [
            "vnd.docker.reference.digest": "sha256:" + String(repeating: "1", count: 64),
            "vnd.docker.reference.type": "attestation-manifest",
        ]),
    ])

    static let choices: [(String, Int)] = [
        ("linux/amd64", 1),
        ("linux/x86_64", 1),
        ("linux/arm64", 4),
        ("linux/aarch64", 4),
        ("linux/arm64/v8", 4),
        ("linux/arm/v7", 3),
        ("linux/arm", 3),
        ("linux/arm/v6", 2),
        ("linux/s390x", 5),
    ]

    @Test(arguments: choices)
    func selects(_ wanted: String, _ expected: Int) throws {
        let chosen = try selectManifest(from: Self.index, for: Platform(parsing: wanted))
        #expect(chosen == Self.index.manifests[expected - 1])
    }

    @Test func olderArmVariantRunsOnNewer() throws {
        let index = Index(manifests: [Self.entry("linux/arm/v5", 1), Self.entry("linux/arm/v6", 2)])
        let chosen = try selectManifest(from: index, for: Platform(parsing: "linux/arm/v7"))
        #expect(chosen.digest == index.manifests[1].digest)
    }

    @Test func newerArmVariantDoesNotRunOnOlder() throws {
        let index = Index(manifests: [Self.entry("linux/arm/v7", 1)])
        #expect(throws: BerthError(.notFound, "no manifest for platform linux/arm/v6 in index (available: linux/arm/v7)")) {
            try selectManifest(from: index, for: Platform(parsing: "linux/arm/v6"))
        }
    }

    @Test func exactVariantBeatsMissingVariant() throws {
        let index = Index(manifests: [Self.entry("linux/amd64", 1), Self.entry("linux/arm64", 2), Self.entry("linux/arm64/v8", 3)])
        #expect(try selectManifest(from: index, for: .linuxAMD64).digest == index.manifests[0].digest)
        // v8 is arm64's default, so both entries are exact; the first wins.
        #expect(try selectManifest(from: index, for: Platform(parsing: "linux/arm64")).digest == index.manifests[1].digest)
    }

    @Test func neverSelectsAnAttestation() throws {
        let index = Index(manifests: [
            Self.entry("linux/amd64", 1, annotations: ["vnd.docker.reference.type": "attestation-manifest"]),
        ])
        #expect(throws: BerthError(.notFound, "no manifest for platform linux/amd64 in index (available: none)")) {
            try selectManifest(from: index, for: .linuxAMD64)
        }
    }

    @Test func errorListsTheAvailablePlatforms() {
        #expect(throws: BerthError(.notFound, "no manifest for platform linux/riscv64 in index (available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8, linux/s390x)")) {
            try selectManifest(from: Self.index, for: Platform(os: "linux", architecture: "riscv64"))
        }
    }

    @Test func skipsOtherOperatingSystems() {
        let index = Index(manifests: [Self.entry("windows/amd64", 1)])
        #expect(throws: BerthError.self) { try selectManifest(from: index, for: .linuxAMD64) }
    }

    @Test func entryWithoutPlatformIsTheLastChoice() throws {
        let bare = Index(manifests: [Self.entry(nil, 1)])
        #expect(try selectManifest(from: bare, for: .linuxAMD64).digest == bare.manifests[0].digest)
        let mixed = Index(manifests: [Self.entry(nil, 1), Self.entry("linux/amd64", 2)])
        #expect(try selectManifest(from: mixed, for: .linuxAMD64).digest == mixed.manifests[1].digest)
    }

    @Test func skipsEntriesThatAreNotManifests() {
        let index = Index(manifests: [Self.entry("linux/amd64", 1, mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip")])
        #expect(throws: BerthError.self) { try selectManifest(from: index, for: .linuxAMD64) }
    }
}
