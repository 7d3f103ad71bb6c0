import ArgumentParser
import BerthBase
import Foundation

/// `berthctl image import PATH`: imports an OCI layout directory or archive. berthd reads
/// the file itself, so the path must be absolute and exist on berthd's machine.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import images from an OCI layout directory or archive.")

    @ParentCommand var root: Berthctl

    @Argument(help: "An OCI layout directory or a tar archive of one.")
    var path: String

    @Option(help: "The reference to tag the imported image with.")
    var name: String?

    @Option(help: "Deadline of the whole import, e.g. 5m (0 for none).")
    var importTimeout = Timeout(duration: nil)

    func run() async throws {
        let absolute = try Self.absolutePath(path)
        let body = try Self.requestBody(path: absolute, name: name)
        let reply = try await root.withSession { session in
            try await withDeadline(importTimeout.duration, context: "import \(absolute)") {
                try await session.post("/berth.v1.ImageService/ImportImage", json: body)
            }
        }
        for image in try Self.importedImages(reply) {
            print("Imported \(image.repoTags.first ?? "<none>") (\(image.id))")
        }
    }

    /// `path` made absolute against the working directory, and known to exist.
    static func absolutePath(
        _ path: String, relativeTo directory: String = FileManager.default.currentDirectoryPath
    ) throws(BerthError) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
        let absolute = url.standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute) else {
            throw BerthError(.notFound, "import \(absolute): no such file or directory")
        }
        return absolute
    }

    static func requestBody(path: String, name: String?) throws(BerthError) -> [UInt8] {
        struct Request: Encodable {
            var path: String
            var name: String?
        }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Array(try encoder.encode(Request(path: path, name: name)))
        } catch {
            throw BerthError(.internal, "encode import request: \(error)")
        }
    }

    struct ImportedImage: Decodable, Equatable {
        var id: String
        var repoTags: [String]

        init(id: String, repoTags: [String]) {
            self.id = id
            self.repoTags = repoTags
        }

        init(from decoder: any Swift.Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            repoTags = try container.decodeIfPresent([String].self, forKey: .repoTags) ?? []
        }

        private enum CodingKeys: String, CodingKey { case id, repoTags }
    }

    static func importedImages(_ reply: [UInt8]) throws(BerthError) -> [ImportedImage] {
        struct Reply: Decodable { var images: [ImportedImage]? }
        do {
            return try JSONDecoder().decode(Reply.self, from: Data(reply)).images ?? []
        } catch {
            throw BerthError(.internal, "import: unexpected reply from berthd: \(error)")
        }
    }
}
