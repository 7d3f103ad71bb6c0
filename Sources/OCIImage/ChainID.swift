import BerthBase

/// The chain ID of each layer of an image (image-spec `config.md`): the first is its diff ID,
/// each next one `sha256(previous chain ID + " " + diff ID)`. A chain ID names a whole stack
/// of layers, which is why unpacked layers are keyed by it.
public func chainIDs(for diffIDs: [Digest]) -> [Digest] {
    var result: [Digest] = []
    result.reserveCapacity(diffIDs.count)
    for diffID in diffIDs {
        if let previous = result.last {
            result.append(SHA256Hasher.digest(Array("\(previous) \(diffID)".utf8)))
        } else {
            result.append(diffID)
        }
    }
    return result
}
