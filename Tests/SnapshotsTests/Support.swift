#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import Snapshots
import TestSupport

func chainID(_ index: Int) -> Digest { SHA256Hasher.digest(Array("layer-\(index)".utf8)) }

/// Commits a layer whose files `fill` writes into its staging directory.
@discardableResult
func addLayer(_ store: LayerStore, _ id: Digest, _ fill: (String) throws -> Void = { _ in }) throws -> String {
    let staging = try store.stagingDirectory(for: id)
    try fill(staging)
    try store.commit(staging: staging, as: id, metadata: LayerMetadata(chainID: id, diffID: id, size: 0))
    return store.diffPath(id)
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw TestFailure("create \(path)") }
}

func read(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}
