import ArgumentParser
import BerthBase
import OCIImage

/// `build --out DIR`: one OCI layout per image under DIR; unchanged recipes are kept.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the test images as OCI image layouts, one directory per image.")

    @Option(name: .long, help: "Directory to hold one layout per image.")
    var out: String

    @OptionGroup var selection: Selection

    @Flag(name: .long, help: "Rebuild images even when their layout is up to date.")
    var force = false

    func run() throws {
        try reportingFailure { () throws(BerthError) in
            let start = ContinuousClock.now
            try FileSystem.makeDirectory(out)
            guard let busybox = try FileSystem.read(BusyboxRootfs.binaryPath) else {
                throw BerthError(.failedPrecondition, "\(BusyboxRootfs.binaryPath): not found (install Debian's busybox-static)")
            }
            let busyboxDigest = SHA256Hasher.digest(busybox)
            for recipe in try selection.recipes() {
                try build(recipe, busybox: busyboxDigest)
            }
            print("done in \(elapsed(since: start))")
        }
    }

    private func build(_ recipe: Recipe, busybox: Digest) throws(BerthError) {
        let destination = "\(out)/\(recipe.name)"
        let fingerprint = recipe.fingerprint(busybox: busybox)
        if !force, let index = readLayoutIndex(destination), index.annotations?[LayoutWriter.recipeAnnotation] == fingerprint {
            print("unchanged \(recipe.name) \(index.manifests.first?.digest.description ?? "")")
            return
        }
        let start = ContinuousClock.now
        let layout = try LayoutWriter(destination: destination)
        do {
            let image = try recipe.make(layout)
            try layout.finish(image: image, tags: recipe.tags, recipe: fingerprint)
            let size = Double(FileSystem.usage(destination).bytes) / 1_000_000
            print("built \(recipe.name):\(recipe.tags.joined(separator: ",")) \(image.digest) \(Int(size.rounded())) MB in \(elapsed(since: start))")
        } catch {
            layout.abandon()
            throw BerthError.wrapping(error, context: "build \(recipe.name)")
        }
    }
}

/// `list`: the images and what each is for.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the test images, their tags and what each holds.")

    func run() {
        for recipe in Catalog.recipes {
            print("\(recipe.name):\(recipe.tags.joined(separator: ",")) — \(recipe.summary)")
        }
    }
}
