import BerthBase
import Foundation
import OCIImage

/// Builds one OCI image layout (image-spec `image-layout.md`) in a scratch directory next to
/// its final place and moves it there only when `finish` has written `index.json`, so an
/// interrupted build never leaves something that looks complete.
final class LayoutWriter {
    /// The index annotation that records which recipe a layout was built from.
    static let recipeAnnotation = "org.berth.testimages.recipe"

    let destination: String
    private let scratch: String
    private var temporaryCount = 0

    init(destination: String) throws(BerthError) {
        self.destination = destination
        self.scratch = destination + ".partial"
        try FileSystem.removeTree(scratch)
        try FileSystem.makeDirectory(scratch + "/blobs/sha256")
    }

    /// A fresh path inside the layout for a blob whose digest is not known yet.
    func temporaryBlobPath() -> String {
        temporaryCount += 1
        return "\(scratch)/blobs/sha256/.incoming-\(temporaryCount)"
    }

    /// Moves a finished temporary blob to its content address.
    func adopt(_ temporary: String, as digest: Digest) throws(BerthError) {
        let target = blobPath(digest)
        if rename(temporary, target) != 0 {
            throw BerthError(.internal, "rename \(temporary) to \(target): \(FileSystem.errnoText())")
        }
    }

    func blobPath(_ digest: Digest) -> String { "\(scratch)/blobs/sha256/\(digest.encoded)" }

    /// Stores bytes as a blob and describes them.
    func put(_ bytes: [UInt8], mediaType: String) throws(BerthError) -> Descriptor {
        let digest = SHA256Hasher.digest(bytes)
        let path = blobPath(digest)
        if !FileSystem.exists(path) {
            try FileSystem.atomicWrite(bytes, to: path)
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// Stores a value as canonical JSON (sorted keys) and describes it.
    func putJSON(_ value: some Encodable, mediaType: String) throws(BerthError) -> Descriptor {
        try put(try canonicalJSON(value), mediaType: mediaType)
    }

    /// Writes `oci-layout` and `index.json` (one entry per tag, named by
    /// `org.opencontainers.image.ref.name`) and moves the layout into place.
    func finish(image: Descriptor, tags: [String], recipe: String) throws(BerthError) {
        try FileSystem.atomicWrite(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: scratch + "/oci-layout")
        let manifests = tags.map { tag in
            var descriptor = image
            descriptor.annotations = (descriptor.annotations ?? [:]).merging([refNameAnnotation: tag]) { $1 }
            return descriptor
        }
        let index = Index(manifests: manifests, annotations: [Self.recipeAnnotation: recipe])
        try FileSystem.atomicWrite(try canonicalJSON(index), to: scratch + "/index.json")
        try FileSystem.removeTree(destination)
        if rename(scratch, destination) != 0 {
            throw BerthError(.internal, "rename \(scratch) to \(destination): \(FileSystem.errnoText())")
        }
    }

    /// Drops the scratch directory of a build that failed.
    func abandon() {
        try? FileSystem.removeTree(scratch)
    }
}

/// The annotation an OCI layout's index uses to name a tag.
let refNameAnnotation = "org.opencontainers.image.ref.name"

/// JSON with sorted keys and unescaped slashes: the same value always gives the same bytes.
func canonicalJSON(_ value: some Encodable) throws(BerthError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        return Array(try encoder.encode(value))
    } catch {
        throw BerthError(.internal, "encode \(type(of: value)) as JSON: \(error)")
    }
}

/// The index of an existing layout, or nil when there is none (or it cannot be read).
func readLayoutIndex(_ directory: String) -> Index? {
    guard let bytes = try? FileSystem.read(directory + "/index.json") else { return nil }
    return try? JSONDecoder().decode(Index.self, from: Data(bytes))
}
