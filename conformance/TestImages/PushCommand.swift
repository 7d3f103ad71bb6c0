import ArgumentParser
import BerthBase
import Foundation
import OCIImage

/// `push --from DIR --registry HOST:PORT`: every tag of every layout, digests preserved.
struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Push built layouts to a registry with skopeo, keeping their digests.")

    static let skopeo = "/usr/bin/skopeo"

    @Option(name: .long, help: "Directory the layouts were built in.")
    var from: String

    @Option(name: .long, help: "Registry as HOST:PORT (plain HTTP), e.g. 127.0.0.1:5000.")
    var registry: String

    @OptionGroup var selection: Selection

    func run() throws {
        try reportingFailure { () throws(BerthError) in
            let start = ContinuousClock.now
            for recipe in try selection.recipes() {
                for (tag, image) in try taggedImages(of: recipe, in: from) {
                    try push(recipe.name, tag: tag, image: image)
                }
            }
            print("done in \(elapsed(since: start))")
        }
    }

    private func push(_ name: String, tag: String, image: Descriptor) throws(BerthError) {
        let destination = "\(registry)/\(name):\(tag)"
        let digestFile = "\(from)/.pushed-\(name)-\(tag)"
        defer { unlink(digestFile) }
        var arguments = [
            "copy", "--quiet", "--dest-tls-verify=false", "--preserve-digests", "--retry-times", "2",
            "--digestfile", digestFile,
        ]
        // An index goes up whole, attestation and foreign platforms included.
        if MediaType.isIndex(image.mediaType) { arguments += ["--multi-arch", "all"] }
        let source = try sourceReference(name, tag: tag, image: image)
        defer { if let staging = source.staging { try? FileSystem.removeTree(staging) } }
        arguments += [source.reference, "docker://\(destination)"]
        _ = try withErrorContext("push \(destination)") { try runTool(Self.skopeo, arguments) }
        let pushed = String(decoding: (try FileSystem.read(digestFile)) ?? [], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard pushed == image.digest.description else {
            throw BerthError(.dataLoss, "push \(destination): registry holds \(pushed.isEmpty ? "no digest" : pushed), layout has \(image.digest)")
        }
        print("pushed \(destination) \(pushed) \(image.mediaType)")
    }

    /// What skopeo reads the image from. skopeo's `oci:` transport only finds OCI-typed
    /// manifests in an index, so a Docker schema 2 image is staged as a `dir:` copy (hard
    /// links to the same blobs), which pushes the manifest bytes and media type unchanged.
    private func sourceReference(_ name: String, tag: String, image: Descriptor) throws(BerthError) -> (reference: String, staging: String?) {
        let layout = "\(from)/\(name)"
        guard image.mediaType == MediaType.dockerManifest else { return ("oci:\(layout):\(tag)", nil) }
        let staging = "\(from)/.push-\(name)-\(tag)"
        try FileSystem.removeTree(staging)
        try FileSystem.makeDirectory(staging)
        try FileSystem.atomicWrite(Array("Directory Transport Version: 1.1\n".utf8), to: staging + "/version")
        try hardLink("\(layout)/blobs/sha256/\(image.digest.encoded)", staging + "/manifest.json")
        for blob in FileSystem.list(layout + "/blobs/sha256") where !blob.hasPrefix(".") {
            try hardLink("\(layout)/blobs/sha256/\(blob)", "\(staging)/\(blob)")
        }
        return ("dir:\(staging)", staging)
    }

    private func hardLink(_ source: String, _ destination: String) throws(BerthError) {
        if link(source, destination) != 0 {
            throw BerthError(.internal, "link \(source) to \(destination): \(FileSystem.errnoText())")
        }
    }
}

/// The tags a layout's index names and the image each points at.
func taggedImages(of recipe: Recipe, in directory: String) throws(BerthError) -> [(tag: String, image: Descriptor)] {
    let layout = "\(directory)/\(recipe.name)"
    guard let index = readLayoutIndex(layout) else {
        throw BerthError(.notFound, "\(layout): no OCI layout (run `berth-testimages build --out \(directory)` first)")
    }
    return index.manifests.compactMap { image in
        image.annotations?[refNameAnnotation].map { (tag: $0, image: image) }
    }
}
