import BerthBase
import ImageReference
import Testing

private let hex = String(repeating: "ab", count: 32)

@Suite struct ReferenceParsingTests {
    struct Case: Sendable, CustomStringConvertible {
        var input: String
        var normalised: String
        var domain: String
        var path: String
        var tag: String?
        var hasDigest = false
        var description: String { input }
    }

    static let accepted: [Case] = [
        Case(input: "busybox", normalised: "docker.io/library/busybox:latest", domain: "docker.io", path: "library/busybox", tag: "latest"),
        Case(input: "busybox:1.36", normalised: "docker.io/library/busybox:1.36", domain: "docker.io", path: "library/busybox", tag: "1.36"),
        Case(input: "user/app", normalised: "docker.io/user/app:latest", domain: "docker.io", path: "user/app", tag: "latest"),
        Case(input: "docker.io/busybox", normalised: "docker.io/library/busybox:latest", domain: "docker.io", path: "library/busybox", tag: "latest"),
        Case(input: "index.docker.io/library/busybox:musl", normalised: "docker.io/library/busybox:musl", domain: "docker.io", path: "library/busybox", tag: "musl"),
        Case(input: "index.docker.io/busybox", normalised: "docker.io/library/busybox:latest", domain: "docker.io", path: "library/busybox", tag: "latest"),
        Case(input: "registry.k8s.io/pause:3.10", normalised: "registry.k8s.io/pause:3.10", domain: "registry.k8s.io", path: "pause", tag: "3.10"),
        Case(input: "127.0.0.1:5000/test/busybox", normalised: "127.0.0.1:5000/test/busybox:latest", domain: "127.0.0.1:5000", path: "test/busybox", tag: "latest"),
        Case(input: "localhost:5000/busybox:v1", normalised: "localhost:5000/busybox:v1", domain: "localhost:5000", path: "busybox", tag: "v1"),
        Case(input: "localhost/busybox", normalised: "localhost/busybox:latest", domain: "localhost", path: "busybox", tag: "latest"),
        Case(input: "[::1]:5000/busybox", normalised: "[::1]:5000/busybox:latest", domain: "[::1]:5000", path: "busybox", tag: "latest"),
        Case(input: "quay.io/a/b/c/d:x_Y.z-1", normalised: "quay.io/a/b/c/d:x_Y.z-1", domain: "quay.io", path: "a/b/c/d", tag: "x_Y.z-1"),
        Case(input: "ghcr.io/a-b/c__d/e.f/g---h", normalised: "ghcr.io/a-b/c__d/e.f/g---h:latest", domain: "ghcr.io", path: "a-b/c__d/e.f/g---h", tag: "latest"),
        // No slash: the colon is a tag, so this is Docker Hub's `localhost` repository.
        Case(input: "localhost:5000", normalised: "docker.io/library/localhost:5000", domain: "docker.io", path: "library/localhost", tag: "5000"),
        // Capitals in the first component make it a host, as in Docker.
        Case(input: "Registry.Example/app", normalised: "Registry.Example/app:latest", domain: "Registry.Example", path: "app", tag: "latest"),
        Case(input: "busybox@sha256:\(hex)", normalised: "docker.io/library/busybox@sha256:\(hex)", domain: "docker.io", path: "library/busybox", tag: nil, hasDigest: true),
        Case(input: "busybox:1.36@sha256:\(hex)", normalised: "docker.io/library/busybox:1.36@sha256:\(hex)", domain: "docker.io", path: "library/busybox", tag: "1.36", hasDigest: true),
        Case(input: "127.0.0.1:5000/busybox@sha256:\(hex)", normalised: "127.0.0.1:5000/busybox@sha256:\(hex)", domain: "127.0.0.1:5000", path: "busybox", tag: nil, hasDigest: true),
    ]

    @Test(arguments: accepted)
    func normalises(_ c: Case) throws {
        let reference = try Reference(parsing: c.input)
        #expect(reference.description == c.normalised)
        #expect(reference.domain == c.domain)
        #expect(reference.path == c.path)
        #expect(reference.name == "\(c.domain)/\(c.path)")
        #expect(reference.tag == c.tag)
        #expect((reference.digest != nil) == c.hasDigest)
        // The normalised form is a fixed point.
        #expect(try Reference(parsing: reference.description) == reference)
    }

    static let refused: [(String, String)] = [
        ("", "invalid reference \"\": empty"),
        ("Busybox", "invalid reference \"Busybox\": repository name must be lowercase"),
        ("docker.io/User/app", "invalid reference \"docker.io/User/app\": repository name must be lowercase"),
        ("busybox:", "invalid reference \"busybox:\": bad tag \"\""),
        ("busybox:-x", "invalid reference \"busybox:-x\": bad tag \"-x\""),
        ("busybox:\(String(repeating: "t", count: 129))", "bad tag"),
        ("busybox@sha256:1234", "invalid reference \"busybox@sha256:1234\": bad digest \"sha256:1234\""),
        ("busybox@md5:d41d8cd98f00b204e9800998ecf8427e", "bad digest \"md5:"),
        ("busybox@", "bad digest \"\""),
        (hex, "is an image id, not a repository name"),
        ("a//b", "empty path component"),
        ("library/busybox/", "empty path component"),
        ("/busybox", "empty path component"),
        ("docker.io/", "empty path component"),
        ("a/-b", "bad path component \"-b\""),
        ("a/b_", "bad path component \"b_\""),
        ("a/b___c", "bad path component \"b___c\""),
        ("a/b..c", "bad path component \"b..c\""),
        ("a/b c", "bad path component \"b c\""),
        ("host:port/app", "bad registry host \"host:port\""),
        ("-bad.example/app", "bad registry host \"-bad.example\""),
        ("bad..example/app", "bad registry host \"bad..example\""),
        ("busybox:1.0:2.0", "bad path component \"busybox:1.0\""),
        ("example.com/" + String(repeating: "a", count: 244), "more than 255"),
        ("@sha256:\(hex)", "missing repository name"),
    ]

    @Test(arguments: refused)
    func refuses(_ input: String, _ expected: String) {
        #expect {
            try Reference(parsing: input)
        } throws: { error in
            guard let error = error as? BerthError else { return false }
            return error.code == .invalidArgument && error.message.contains(expected)
                && error.message.hasPrefix("invalid reference \"\(input)\"")
        }
    }

    @Test func longestNameIsAccepted() throws {
        let path = String(repeating: "a", count: 255 - "example.com/".count)
        let reference = try Reference(parsing: "example.com/" + path)
        #expect(reference.name.count == 255)
    }

    @Test func longestTagIsAccepted() throws {
        let tag = String(repeating: "t", count: 128)
        #expect(try Reference(parsing: "busybox:" + tag).tag == tag)
    }
}

@Suite struct ReferenceDerivationTests {
    let digest = Digest(sha256Hex: String(repeating: "0", count: 64))

    @Test func taggedAndDigested() throws {
        let reference = try Reference(parsing: "registry.k8s.io/pause:3.10")
        #expect(reference.tagged == "registry.k8s.io/pause:3.10")
        #expect(reference.digested == nil)
        let pinned = reference.withDigest(digest)
        #expect(pinned.description == "registry.k8s.io/pause:3.10@\(digest)")
        #expect(pinned.digested == "registry.k8s.io/pause@\(digest)")
        #expect(pinned.tagged == "registry.k8s.io/pause:3.10")
    }

    @Test func digestOnlyHasNoTag() throws {
        let reference = try Reference(parsing: "busybox@\(digest)")
        #expect(reference.tag == nil)
        #expect(reference.tagged == nil)
        #expect(reference.digested == "docker.io/library/busybox@\(digest)")
    }

    @Test func withTagReplacesTheTag() throws {
        let reference = try Reference(parsing: "busybox").withTag("musl")
        #expect(reference.description == "docker.io/library/busybox:musl")
        #expect(try Reference(parsing: "busybox@\(digest)").withTag("1").description == "docker.io/library/busybox:1@\(digest)")
    }

    @Test func withTagRefusesABadTag() throws {
        let reference = try Reference(parsing: "busybox")
        #expect(throws: BerthError(.invalidArgument, "invalid tag \".x\" for docker.io/library/busybox: want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            try reference.withTag(".x")
        }
    }

    @Test func equalReferencesHashEqually() throws {
        let spellings = ["busybox", "docker.io/library/busybox", "index.docker.io/library/busybox:latest", "busybox:latest"]
        let references = try Set(spellings.map { try Reference(parsing: $0) })
        #expect(references.count == 1)
    }
}
