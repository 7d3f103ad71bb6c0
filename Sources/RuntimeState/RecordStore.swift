import BerthBase
import Foundation
import Logging

/// Records on disk, one JSON file each at `<directory>/<id>.json`, every write atomic so a
/// crash leaves either the old record or the new one.
public final class RecordStore<Record: Codable & Sendable>: Sendable {
    public let directory: String
    private let kind: String
    private let logger: Logger

    public init(directory: String, kind: String, logger: Logger) throws(BerthError) {
        self.directory = directory
        self.kind = kind
        self.logger = logger
        try FileSystem.makeDirectory(directory, mode: 0o700)
    }

    private func path(_ id: String) -> String { "\(directory)/\(id).json" }

    /// Every readable record; a corrupt file is logged and skipped.
    public func all() -> [Record] {
        FileSystem.list(directory)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            .compactMap { name in
                do {
                    guard let bytes = try FileSystem.read("\(directory)/\(name)") else { return nil }
                    return try JSONDecoder().decode(Record.self, from: Data(bytes))
                } catch {
                    logger.error("skipping unreadable \(kind) record", metadata: ["file": "\(name)", "error": "\(error)"])
                    return nil
                }
            }
    }

    public func put(_ record: Record, id: String) throws(BerthError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes: Data
        do {
            bytes = try encoder.encode(record)
        } catch {
            throw BerthError(.internal, "\(kind) \(id): encode record: \(error)")
        }
        // Atomic, not synced: a container's record only matters while its processes can exist,
        // and a power loss ends those; the start-up reconciliation copes with an older record.
        try FileSystem.atomicWrite(bytes, to: path(id), mode: 0o600, durable: false)
    }

    public func delete(_ id: String) throws(BerthError) {
        try FileSystem.removeTree(path(id))
    }
}
