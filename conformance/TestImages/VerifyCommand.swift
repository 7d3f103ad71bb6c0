import ArgumentParser
import BerthBase
import Foundation
import OCIImage

/// `verify --from DIR --registry HOST:PORT`: asks the registry for every tag, as a puller
/// would, and checks it serves the layout's digest with the intended media type, layer
/// count, user and platforms.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that a registry serves the built images as intended.")

    @Option(name: .long, help: "Directory the layouts were built in.")
    var from: String

    @Option(name: .long, help: "Registry as HOST:PORT (plain HTTP).")
    var registry: String

    @OptionGroup var selection: Selection

    func run() throws {
        try reportingFailure { () throws(BerthError) in
            var failures = [String]()
            for recipe in try selection.recipes() {
                for (tag, image) in try taggedImages(of: recipe, in: from) {
                    do throws(BerthError) {
                        print("ok \(recipe.name):\(tag) \(try check(recipe, tag: tag, image: image))")
                    } catch {
                        print("FAIL \(recipe.name):\(tag) \(error.message)")
                        failures.append("\(recipe.name):\(tag)")
                    }
                }
            }
            guard failures.isEmpty else {
                throw BerthError(.failedPrecondition, "\(failures.count) image(s) not as intended: \(failures.joined(separator: ", "))")
            }
        }
    }

    /// Checks one tag and returns a one-line summary of what the registry served.
    private func check(_ recipe: Recipe, tag: String, image: Descriptor) throws(BerthError) -> String {
        let expected = recipe.expectation
        let manifest = try fetch("\(recipe.name)/manifests/\(tag)", accept: MediaType.acceptedManifests)
        let digest = SHA256Hasher.digest(manifest.body)
        guard digest == image.digest else { throw BerthError(.dataLoss, "registry serves \(digest), layout has \(image.digest)") }
        guard manifest.headers["docker-content-digest"] == digest.description else {
            throw BerthError(.dataLoss, "Docker-Content-Digest \(manifest.headers["docker-content-digest"] ?? "missing"), body is \(digest)")
        }
        guard manifest.headers["content-type"] == expected.mediaType else {
            throw BerthError(.failedPrecondition, "Content-Type \(manifest.headers["content-type"] ?? "missing"), want \(expected.mediaType)")
        }
        if let platforms = expected.platforms {
            let index: Index = try decode(manifest.body, "index")
            let served = index.manifests.map { $0.platform?.description ?? "none" }
            guard served == platforms else { throw BerthError(.failedPrecondition, "platforms \(served), want \(platforms)") }
            return "\(digest) \(expected.mediaType) platforms=\(served.joined(separator: ","))"
        }
        let parsed: Manifest = try decode(manifest.body, "manifest")
        guard parsed.layers.count == expected.layers else {
            throw BerthError(.failedPrecondition, "\(parsed.layers.count) layers, want \(expected.layers)")
        }
        let layerType = expected.mediaType == MediaType.dockerManifest ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip
        if let odd = parsed.layers.first(where: { $0.mediaType != layerType }) {
            throw BerthError(.failedPrecondition, "layer \(odd.digest) has media type \(odd.mediaType), want \(layerType)")
        }
        let configBlob = try fetch("\(recipe.name)/blobs/\(parsed.config.digest)", accept: [parsed.config.mediaType])
        guard SHA256Hasher.digest(configBlob.body) == parsed.config.digest else {
            throw BerthError(.dataLoss, "config \(parsed.config.digest): digest mismatch")
        }
        let config: ImageConfig = try decode(configBlob.body, "config")
        guard config.config?.user == expected.user else {
            throw BerthError(.failedPrecondition, "user \(config.config?.user ?? "unset"), want \(expected.user ?? "unset")")
        }
        guard config.rootfs.diffIDs.count == parsed.layers.count else {
            throw BerthError(.failedPrecondition, "\(config.rootfs.diffIDs.count) diff_ids for \(parsed.layers.count) layers")
        }
        let size = parsed.layers.reduce(Int64(0)) { $0 + $1.size }
        return "\(digest) \(expected.mediaType) layers=\(parsed.layers.count) user=\(expected.user ?? "-") compressed=\(size / 1000) kB"
    }

    /// One GET against the registry's v2 API through curl, with its lowercased headers.
    private func fetch(_ path: String, accept: [String]) throws(BerthError) -> (headers: [String: String], body: [UInt8]) {
        let url = "http://\(registry)/v2/\(path)"
        let headerFile = "\(from)/.verify-headers"
        defer { unlink(headerFile) }
        let body = try withErrorContext("GET \(url)") {
            try runTool("/usr/bin/curl", ["-fsSL", "--max-time", "60", "-H", "Accept: \(accept.joined(separator: ", "))", "-D", headerFile, url])
        }
        var headers = [String: String]()
        let text = String(decoding: (try FileSystem.read(headerFile)) ?? [], as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (headers, body)
    }

    private func decode<T: Decodable>(_ bytes: [UInt8], _ what: String) throws(BerthError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw BerthError(.dataLoss, "decode \(what): \(error)")
        }
    }
}
