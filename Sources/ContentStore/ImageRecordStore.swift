import BerthBase
import Foundation
import Logging

/// Image records on disk, one JSON file each at `<root>/images/<config-hex>.json`, every
/// write atomic so a crash leaves either the old record or the new one.
public final class ImageRecordStore: Sendable {
    /// The directory holding `images/`.
    public let root: String
    private let logger: Logger

    var directory: String { "\(root)/images" }

    /// Opens (creating where missing) the record store rooted at `root`.
    public init(root: String, logger: Logger = Logger(label: "berth.images")) throws(BerthError) {
        self.root = root
        self.logger = logger
        try FileSystem.makeDirectory(directory)
    }

    private func path(for id: Digest) -> String { "\(directory)/\(id.encoded).json" }

    /// Every readable record, ordered by id. A corrupt file is logged and skipped so one bad
    /// record never takes the others down.
    public func all() -> [ImageRecord] {
        FileSystem.list(directory)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            .compactMap { name in load("\(directory)/\(name)") }
            .sorted { $0.id < $1.id }
    }

    /// The record for an image id, or nil when there is none (or it is unreadable).
    public func get(_ id: Digest) -> ImageRecord? {
        load(path(for: id))
    }

    /// Stores a record, replacing any with the same id.
    public func put(_ record: ImageRecord) throws(BerthError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: Data
        do {
            bytes = try encoder.encode(record)
        } catch {
            throw BerthError(.internal, "image \(record.id): encode record: \(error)")
        }
        try FileSystem.atomicWrite(bytes, to: path(for: record.id))
    }

    /// Removes the record for an image id; a missing record is not an error.
    public func delete(_ id: Digest) throws(BerthError) {
        try FileSystem.removeTree(path(for: id))
        FileSystem.syncDirectory(directory)
    }

    private func load(_ path: String) -> ImageRecord? {
        do {
            guard let bytes = try FileSystem.read(path) else { return nil }
            return try JSONDecoder().decode(ImageRecord.self, from: Data(bytes))
        } catch {
            logger.warning("skipping unreadable image record", metadata: ["path": "\(path)", "error": "\(error)"])
            return nil
        }
    }
}
