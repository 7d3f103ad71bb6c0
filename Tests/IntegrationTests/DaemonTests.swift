import BerthBase
import BerthClient
import CRI
import Foundation
import Testing

@Suite(.enabled(if: TestEnvironment.ready, TestEnvironment.reason), .serialized)
struct DaemonTests {
    @Test func sigtermStopsGracefullyAndRemovesTheSocket() async throws {
        let daemon = try await Berthd.started()
        let version = try await daemon.client.version()
        #expect(version.runtimeName == "berth")
        #expect(daemon.stop(signal: SIGTERM) == 0)
        #expect(!FileSystem.exists(daemon.socket))
        await daemon.destroy()
    }

    @Test(arguments: [
        ("[api]\nsockett = \"/x\"", "api.sockett"),
        ("log_level = \"loud\"", "log_level"),
        ("[registry]\nmax_concurrent_downloads = \"four\"", "registry.max_concurrent_downloads"),
        ("root = [", "line 1"),
    ])
    func configErrorsNameTheKey(config: String, key: String) throws {
        let directory = "/tmp/berth-it-config-\(UInt32.random(in: 0 ... .max))"
        try FileSystem.makeDirectory(directory)
        defer { try? FileSystem.removeTree(directory) }
        try FileSystem.atomicWrite(Array(config.utf8), to: "\(directory)/config.toml")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary("berthd"))
        process.arguments = ["--config", "\(directory)/config.toml", "--root", "\(directory)/root", "--socket", "\(directory)/s.sock"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 78)
        #expect(output.contains(key), "\(output)")
        #expect(!FileSystem.exists("\(directory)/root"))
    }

    @Test func unknownFlagValueIsRefused() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary("berthd"))
        process.arguments = ["--log-level", "loud", "--root", "/tmp/berth-never", "--socket", "/tmp/berth-never.sock"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(output.contains("--log-level"), "\(output)")
        #expect(!FileSystem.exists("/tmp/berth-never"))
    }

    @Test func badRequestsChangeNothing() async throws {
        let daemon = try await Berthd.started()
        let client = daemon.client
        let cases: [(path: String, body: String, code: String)] = [
            ("/runtime.v1.ImageService/PullImage", "{\"image\": ", "invalid_argument"),
            ("/runtime.v1.ImageService/PullImage", "{\"image\": {\"image\": 42}}", "invalid_argument"),
            ("/runtime.v1.ImageService/PullImage", "{\"image\": {\"image\": \"Bad Ref\"}}", "invalid_argument"),
            ("/runtime.v1.ImageService/NoSuchMethod", "{}", "unimplemented"),
            ("/runtime.v1.RuntimeService/RunPodSandbox", "{}", "invalid_argument"),
            ("/runtime.v1.RuntimeService/CheckpointContainer", "{}", "unimplemented"),
        ]
        for item in cases {
            let reply = try await client.raw(path: item.path, body: Array(item.body.utf8))
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(reply.status >= 400, "\(item.path) \(item.body)")
            #expect(text.contains("\"code\":\"\(item.code)\"") || text.contains("\"code\": \"\(item.code)\""), "\(text)")
        }
        let huge = [UInt8](repeating: 0x20, count: 17 << 20)
        let reply = try await client.raw(path: "/runtime.v1.ImageService/ListImages", body: huge)
        #expect(reply.status == 413)
        #expect(try await client.listImages().isEmpty)
        #expect(daemon.entries("content/blobs/sha256").isEmpty)
        await daemon.destroy()
    }

    @Test func importsALayoutDirectoryAndArchive() async throws {
        let images = try #require(TestEnvironment.images)
        let daemon = try await Berthd.started()
        let archive = "\(daemon.directory)/busybox.tar"
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: TestEnvironment.binary("berth-testimages"))
        tool.arguments = ["archive", "--from", images, "--name", "busybox", "--out", archive]
        try tool.run()
        tool.waitUntilExit()
        #expect(tool.terminationStatus == 0)

        let fromArchive = try berthctl(daemon, ["image", "import", archive, "--name", "example.com/imported/busybox"])
        #expect(fromArchive.status == 0, "\(fromArchive.stderr)")
        let fromDirectory = try berthctl(daemon, ["image", "import", "\(images)/busybox-distinct-1", "--name", "example.com/imported/distinct"])
        #expect(fromDirectory.status == 0, "\(fromDirectory.stderr)")
        let listed = try await daemon.client.listImages()
        #expect(listed.count == 2)
        #expect(listed.flatMap(\.repoTags).contains { $0.hasPrefix("example.com/imported/busybox:") })
        #expect(daemon.entries("content/ingest").isEmpty)
        #expect(daemon.entries("tmp").isEmpty)

        let missing = try berthctl(daemon, ["image", "import", "\(daemon.directory)/nope"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope"))
        await daemon.destroy()
    }

    @Test func berthctlPullImagesInspectRemove() async throws {
        let daemon = try await Berthd.started()
        let image = ref("busybox-user-www-data:latest")
        let pull = try berthctl(daemon, ["pull", image])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("Image is up to date for sha256:"))

        let table = try berthctl(daemon, ["images"])
        #expect(table.stdout.contains("IMAGE"))
        #expect(table.stdout.contains(ref("busybox-user-www-data")))
        let quiet = try berthctl(daemon, ["images", "-q"])
        #expect(quiet.stdout.split(separator: "\n").count == 1)

        let yaml = try berthctl(daemon, ["inspecti", "-o", "yaml", image])
        #expect(yaml.status == 0)
        #expect(yaml.stdout.contains("username: www-data"))

        let info = try berthctl(daemon, ["imagefsinfo"])
        #expect(info.status == 0)
        #expect(info.stdout.contains(daemon.root))

        let remove = try berthctl(daemon, ["rmi", image])
        #expect(remove.status == 0)
        #expect(remove.stdout.contains("Deleted"))
        #expect(try berthctl(daemon, ["images", "-q"]).stdout.isEmpty)

        let bad = try berthctl(daemon, ["pull", "busybox:bad tag"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("invalid"))
        await daemon.destroy()
    }
}
