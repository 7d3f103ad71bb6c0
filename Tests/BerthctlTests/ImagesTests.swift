import BerthBase
import CRI
import Foundation
import Testing

@testable import berthctl

@Suite struct ImagesTests {
    func image(id: String, tags: [String], digests: [String], size: UInt64) -> Runtime_V1_Image {
        var image = Runtime_V1_Image()
        image.id = id
        image.repoTags = tags
        image.repoDigests = digests
        image.size = size
        return image
    }

    @Test func tableHasOneRowPerTagAndNoneForUntagged() {
        let id = "sha256:" + String(repeating: "1", count: 64)
        let digest = "sha256:" + String(repeating: "2", count: 64)
        let images = [
            image(
                id: id, tags: ["127.0.0.1:5000/busybox:latest", "127.0.0.1:5000/busybox:1.35"],
                digests: ["127.0.0.1:5000/busybox@\(digest)"], size: 4_270_000),
            image(id: id, tags: [], digests: ["127.0.0.1:5000/other@\(digest)"], size: 999),
        ]
        #expect(
            Images.table(images, digests: false, truncate: true) == """
                IMAGE                    TAG                 IMAGE ID            SIZE
                127.0.0.1:5000/busybox   latest              1111111111111       4.27MB
                127.0.0.1:5000/busybox   1.35                1111111111111       4.27MB
                127.0.0.1:5000/other     <none>              1111111111111       999B

                """)
        #expect(
            Images.table(Array(images.prefix(1)), digests: true, truncate: true).split(separator: "\n").first
                == "IMAGE                    TAG                 DIGEST              IMAGE ID            SIZE")
    }

    @Test func portColonIsNotATag() {
        let pairs = Images.repositoryTagPairs(["127.0.0.1:5000/busybox"], fallback: "x")
        #expect(pairs.map(\.0) == ["127.0.0.1:5000/busybox"])
        #expect(pairs.map(\.1) == ["<none>"])
    }

    @Test func verboseDetailsListEveryField() {
        var image = image(id: "sha256:1", tags: ["a:b"], digests: ["a@sha256:2"], size: 5)
        image.uid.value = 1002
        #expect(Images.details(of: image) == "ID: sha256:1\nRepoTags: a:b\nRepoDigests: a@sha256:2\nSize: 5\nUid: 1002\n")
    }

    @Test func inspectUnfoldsInfoNextToStatus() throws {
        var response = Runtime_V1_ImageStatusResponse()
        response.image = image(id: "sha256:1", tags: ["a:b"], digests: [], size: 5)
        response.info = ["info": #"{"imageSpec":{"os":"linux"}}"#]
        let document = try Inspect.document(for: response)
        #expect(
            document
                == .object([
                    "status": .object(["id": .string("sha256:1"), "repoTags": .array([.string("a:b")]), "size": .string("5")]),
                    "info": .object(["imageSpec": .object(["os": .string("linux")])]),
                ]))
    }

    @Test func infoShowsConditionsHandlersAndConfig() throws {
        var status = Runtime_V1_StatusResponse()
        var condition = Runtime_V1_RuntimeCondition()
        condition.type = "RuntimeReady"
        condition.status = true
        status.status.conditions = [condition]
        status.info = ["config": #"{"root":"/var/lib/berth"}"#]
        guard case .object(let members) = try Info.document(for: status) else {
            Issue.record("not an object")
            return
        }
        #expect(members["config"] == .object(["root": .string("/var/lib/berth")]))
        #expect(members["status"] == .object(["conditions": .array([.object(["type": .string("RuntimeReady"), "status": .bool(true)])])]))
    }

    @Test func imageFsInfoTable() {
        var usage = Runtime_V1_FilesystemUsage()
        usage.fsID.mountpoint = "/var/lib/berth"
        usage.usedBytes.value = 12_300_000
        var info = Runtime_V1_ImageFsInfoResponse()
        info.imageFilesystems = [usage]
        #expect(
            ImageFsInfo.table(info) == """
                FILESYSTEM          MOUNTPOINT          USED                INODES
                image               /var/lib/berth      12.3MB              -

                """)
    }
}

@Suite struct ImportTests {
    @Test func relativePathsBecomeAbsolute() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berthctl-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("x".utf8).write(to: directory.appendingPathComponent("layout.tar"))
        let absolute = try Import.absolutePath("./sub/../layout.tar", relativeTo: directory.path)
        #expect(absolute == directory.standardizedFileURL.appendingPathComponent("layout.tar").path)
    }

    @Test func missingPathsAreRefusedBeforeAnyCall() {
        #expect(throws: BerthError(.notFound, "import /nonexistent/berth-layout: no such file or directory")) {
            try Import.absolutePath("/nonexistent/berth-layout")
        }
    }

    @Test func requestAndReplyShapes() throws {
        let body = try Import.requestBody(path: "/tmp/x", name: nil)
        let named = try Import.requestBody(path: "/tmp/x", name: "busybox:1")
        #expect(String(decoding: named, as: UTF8.self) == #"{"name":"busybox:1","path":"/tmp/x"}"#)
        #expect(String(decoding: body, as: UTF8.self) == #"{"path":"/tmp/x"}"#)
        let images = try Import.importedImages(Array(#"{"images":[{"id":"sha256:1","repoTags":["a:b"]},{"id":"sha256:2"}]}"#.utf8))
        #expect(images == [.init(id: "sha256:1", repoTags: ["a:b"]), .init(id: "sha256:2", repoTags: [])])
    }
}
