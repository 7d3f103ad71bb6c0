import BerthBase
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@testable import BerthConformance

/// The probe against a real docker-registry, started for the test by `conformance/registry.sh`.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry"), "needs Debian's docker-registry"))
struct RegistryProbeTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("conformance/registry.sh").path

    @Test func manifestDigestIsTheDigestOfWhatWasPushed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = Int.random(in: 20_000..<40_000)
        defer {
            try? run(Self.script, "stop", directory.path, String(port))
            try? FileManager.default.removeItem(at: directory)
        }
        try run(Self.script, "start", directory.path, String(port))
        let registry = "127.0.0.1:\(port)"

        let config = Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let configDigest = SHA256Hasher.digest(config).description
        try await upload(blob: config, digest: configDigest, repository: "probe", registry: registry)
        let manifest = Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":\#(config.count)},"layers":[]}"#
                .utf8)
        try await put(
            "http://\(registry)/v2/probe/manifests/v1", body: manifest,
            contentType: "application/vnd.oci.image.manifest.v1+json")

        let probe = RegistryProbe(registry: registry)
        #expect(try await probe.manifestDigest(repository: "probe", reference: "v1") == SHA256Hasher.digest(manifest).description)
        await #expect(throws: CheckFailure.self) { try await probe.manifestDigest(repository: "probe", reference: "missing") }
    }

    private func upload(blob: Data, digest: String, repository: String, registry: String) async throws {
        var start = URLRequest(url: try #require(URL(string: "http://\(registry)/v2/\(repository)/blobs/uploads/")))
        start.httpMethod = "POST"
        let (_, response) = try await URLSession.shared.data(for: start)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 202)
        let location = try #require(http.value(forHTTPHeaderField: "Location"))
        let absolute = location.hasPrefix("http") ? location : "http://\(registry)\(location)"
        try await put(absolute + (absolute.contains("?") ? "&" : "?") + "digest=\(digest)", body: blob, contentType: "application/octet-stream")
    }

    private func put(_ url: String, body: Data, contentType: String) async throws {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = "PUT"
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        let (reply, response) = try await URLSession.shared.upload(for: request, from: body)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        #expect(status == 201, "PUT \(url): HTTP \(status) \(String(decoding: reply, as: UTF8.self))")
    }

    /// Runs a shell script and waits for it; posix_spawn rather than `Process`, whose exit
    /// monitoring can miss a child that leaves a daemon behind.
    private func run(_ arguments: String...) throws {
        let words: [String] = ["/bin/sh"] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, argv, envp)
        try #require(spawned == 0, "spawn /bin/sh: error \(spawned)")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        #expect(status == 0, "\(arguments.joined(separator: " ")) exited with status \(status)")
    }
}
