import BerthBase
import ContentStore
import Foundation
import ImageReference
import Logging
import Snapshots

/// The images Berth knows, and the content in-flight pulls hold on to.
///
/// Every change to records, and every garbage collection, happens inside this actor, so a
/// collection never removes a blob or layer that a concurrent pull has leased.
actor ImageCatalog {
    private let store: ImageRecordStore
    private let blobs: BlobStore
    private let layers: LayerStore
    private let logger: Logger
    private var records: [Digest: ImageRecord]
    private var leases: [Digest: Int] = [:]

    init(store: ImageRecordStore, blobs: BlobStore, layers: LayerStore, logger: Logger) {
        self.store = store
        self.blobs = blobs
        self.layers = layers
        self.logger = logger
        var records: [Digest: ImageRecord] = [:]
        for record in store.all() { records[record.id] = record }
        self.records = records
    }

    var all: [ImageRecord] { records.values.sorted { $0.created < $1.created } }

    /// Finds an image by id (`sha256:…`, bare hex, or a unique id prefix), repo tag or repo digest,
    /// the way containerd's CRI resolves image references.
    func find(_ query: String) -> ImageRecord? {
        let text = query.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if let digest = try? Digest(parsing: text), let record = records[digest] { return record }
        if text.count == 64, let record = records[Digest(sha256Hex: text)] { return record }
        if let reference = try? Reference(parsing: text) {
            let normalised = reference.description
            if let record = records.values.first(where: { $0.repoTags.contains(normalised) || $0.repoDigests.contains(normalised) }) {
                return record
            }
            // `name:tag@digest` matches the repo digest `name@digest`.
            if let digest = reference.digest {
                let byDigest = "\(reference.name)@\(digest)"
                if let record = records.values.first(where: { $0.repoDigests.contains(byDigest) }) { return record }
            }
        }
        let prefix = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        if prefix.count >= 4, prefix.allSatisfy(\.isHexDigit) {
            let matches = records.values.filter { $0.id.encoded.hasPrefix(prefix) }
            if matches.count == 1 { return matches[0] }
        }
        return nil
    }

    /// Holds content against garbage collection until `release`.
    func lease(_ digests: [Digest]) {
        for digest in digests { leases[digest, default: 0] += 1 }
    }

    /// Drops one hold on each digest; returns whether any of them is now held by nothing at
    /// all (no lease, no image record), so a collection has something to free.
    @discardableResult
    func release(_ digests: [Digest]) -> Bool {
        var freed: [Digest] = []
        for digest in digests {
            let count = (leases[digest] ?? 1) - 1
            leases[digest] = count > 0 ? count : nil
            if count <= 0 { freed.append(digest) }
        }
        guard !freed.isEmpty else { return false }
        let referenced = Set(records.values.flatMap { $0.chainIDs + $0.layers.map(\.digest) })
        return freed.contains { !referenced.contains($0) }
    }

    /// Saves a pulled or imported image: merges its names into an existing record with the same
    /// id and moves each tag away from any other image that held it. Images left with no name
    /// at all are removed, as containerd removes an image whose last tag moved.
    func commit(_ incoming: ImageRecord) throws(BerthError) -> ImageRecord {
        var record = incoming
        if let existing = records[incoming.id] {
            record = existing
            record.repoTags = unique(existing.repoTags + incoming.repoTags)
            record.repoDigests = unique(existing.repoDigests + incoming.repoDigests)
        }
        for other in records.values where other.id != record.id {
            let moved = other.repoTags.filter { record.repoTags.contains($0) }
            guard !moved.isEmpty else { continue }
            var updated = other
            updated.repoTags.removeAll { moved.contains($0) }
            if updated.repoTags.isEmpty {
                try delete(other.id)
            } else {
                try store.put(updated)
                records[updated.id] = updated
            }
        }
        try store.put(record)
        records[record.id] = record
        collectGarbage()
        return record
    }

    /// Removes an image with every name it has, then its content nothing else uses.
    func remove(_ id: Digest) throws(BerthError) {
        guard records[id] != nil else { return }
        try delete(id)
        collectGarbage()
    }

    private func delete(_ id: Digest) throws(BerthError) {
        try store.delete(id)
        records[id] = nil
    }

    /// Removes blobs and layers that no record references and no in-flight pull has leased.
    func collectGarbage() {
        var live = Set(leases.keys)
        for record in records.values {
            live.insert(record.id)
            live.insert(record.manifestDigest)
            for digest in record.repoDigests.compactMap(Self.digest(ofRepoDigest:)) { live.insert(digest) }
            for layer in record.layers { live.insert(layer.digest) }
            for chainID in record.chainIDs { live.insert(chainID) }
        }
        for digest in blobs.all() where !live.contains(digest) {
            blobs.delete(digest)
            logger.debug("removed unreferenced blob", metadata: ["digest": "\(digest)"])
        }
        for chainID in layers.all() where !live.contains(chainID) {
            do {
                try layers.remove(chainID)
                logger.debug("removed unreferenced layer", metadata: ["chain-id": "\(chainID)"])
            } catch {
                logger.warning("cannot remove unreferenced layer", metadata: ["chain-id": "\(chainID)", "error": "\(error)"])
            }
        }
    }

    private static func digest(ofRepoDigest text: String) -> Digest? {
        guard let at = text.lastIndex(of: "@") else { return nil }
        return try? Digest(parsing: String(text[text.index(after: at)...]))
    }
}

private func unique(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}
