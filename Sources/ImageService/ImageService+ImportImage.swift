import BerthBase
import ContentStore
import Foundation
import ImageReference
import OCIImage
import Unpack

extension ImageService {
    /// Imports every image of an OCI image layout, given as a directory or as a tar archive of
    /// one (plain or compressed). Images are named by their `io.containerd.image.name` or
    /// `org.opencontainers.image.ref.name` annotations; `name` names an image that has only a
    /// tag annotation or none.
    public func importImage(path: String, name: String?, progress: ProgressSink? = nil) async throws -> [ImageRecord] {
        guard path.hasPrefix("/") else { throw BerthError(.invalidArgument, "import: path \"\(path)\" is not absolute") }
        let base = try name.map { text throws(BerthError) in try Reference(parsing: text) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw BerthError(.notFound, "import \(path): no such file or directory")
        }
        if isDirectory.boolValue {
            return try await importLayout(LayoutSource(directory: path), base: base, progress: progress)
        }
        let extracted = "\(temporaryDirectory)/import-\(UInt64.random(in: 0 ... .max))"
        defer { try? FileSystem.removeTree(extracted) }
        try await withErrorContext("import \(path)") {
            try FileSystem.makeDirectory(extracted, mode: 0o700)
            _ = try await runBlocking(name: "berth-import") { flag in
                try LayerUnpacker.unpack(blob: path, into: extracted, cancel: flag)
            }
        }
        return try await importLayout(LayoutSource(directory: extracted), base: base, progress: progress, shownAs: path)
    }

    private func importLayout(_ source: LayoutSource, base: Reference?, progress: ProgressSink?, shownAs: String? = nil) async throws -> [ImageRecord] {
        let shown = shownAs ?? source.directory
        return try await withErrorContext("import \(shown)") {
            guard let indexBytes = try FileSystem.read("\(source.directory)/index.json") else {
                throw BerthError(.invalidArgument, "not an OCI image layout: index.json is missing")
            }
            guard case .index(let index) = try ManifestDocument.parse(indexBytes, mediaType: MediaType.ociIndex) else {
                throw BerthError(.invalidArgument, "index.json is not an image index")
            }
            guard !index.manifests.isEmpty else { throw BerthError(.invalidArgument, "index.json lists no images") }
            var records: [ImageRecord] = []
            for descriptor in index.manifests {
                let bytes = try await source.manifest(descriptor)
                var names = ImageIngest.Names()
                if let reference = try importName(descriptor.annotations ?? [:], base: base) {
                    if let tagged = reference.tagged { names.repoTags.append(tagged) }
                    names.repoDigests.append("\(reference.name)@\(descriptor.digest)")
                }
                records.append(try await ingest.ingest(from: source, top: descriptor, topBytes: bytes, names: names, progress: progress))
                logger.info("imported image", metadata: ["path": "\(shown)", "id": "\(records[records.count - 1].id)"])
            }
            return records
        }
    }

    private func importName(_ annotations: [String: String], base: Reference?) throws(BerthError) -> Reference? {
        if let full = annotations["io.containerd.image.name"] { return try Reference(parsing: full) }
        guard let refName = annotations["org.opencontainers.image.ref.name"] else { return base }
        // A bare tag ("latest", "1.35") names an image only together with the given name.
        if !refName.contains("/") && !refName.contains("@") {
            guard let base else { return nil }
            return try Reference(parsing: "\(base.name):\(refName)")
        }
        return try Reference(parsing: refName)
    }
}
