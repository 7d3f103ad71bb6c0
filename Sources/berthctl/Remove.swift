import ArgumentParser
import BerthBase
import CRI
import Foundation

/// `berthctl rmi IMAGE...`: removes images with every tag they carry, as `crictl rmi` does.
struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove one or more images.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Image references or ids.")
    var images: [String] = []

    @Flag(name: .shortAndLong, help: "Remove all images.")
    var all = false

    @Flag(name: [.customShort("q"), .long], help: "Remove all images that no container uses.")
    var prune = false

    func validate() throws {
        if images.isEmpty && !all && !prune {
            throw ValidationError("name at least one image, or use --all or --prune")
        }
        if !images.isEmpty && (all || prune) {
            throw ValidationError("image names cannot be combined with --all or --prune")
        }
    }

    func run() async throws {
        try await root.withSession { session in
            let targets = try await selectTargets(session)
            var failures: [BerthError] = []
            for target in targets {
                do throws(BerthError) {
                    try await Self.remove(target, session: session)
                } catch {
                    FileHandle.standardError.write(Data("berthctl: \(error)\n".utf8))
                    failures.append(error)
                }
            }
            // Each failure was already reported above; only the exit status is left to set.
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    /// The named images, or every image (`--all`), or those no container uses (`--prune`).
    private func selectTargets(_ session: Session) async throws(BerthError) -> [String] {
        guard all || prune else { return images }
        let listed = try await session.call(
            Method.image("ListImages"), Runtime_V1_ListImagesRequest(), as: Runtime_V1_ListImagesResponse.self)
        guard prune else { return listed.images.map(\.id) }
        let containers = try await session.call(
            Method.runtime("ListContainers"), Runtime_V1_ListContainersRequest(),
            as: Runtime_V1_ListContainersResponse.self)
        let used = Set(containers.containers.flatMap { [$0.imageRef, $0.image.image] })
        return listed.images.filter { image in
            !used.contains(image.id) && image.repoTags.allSatisfy { !used.contains($0) }
        }.map(\.id)
    }

    /// Removes one image by its id, so all of its tags go, and says which names went.
    static func remove(_ reference: String, session: Session) async throws(BerthError) {
        var statusRequest = Runtime_V1_ImageStatusRequest()
        statusRequest.image.image = reference
        let status = try await session.call(
            Method.image("ImageStatus"), statusRequest, as: Runtime_V1_ImageStatusResponse.self)
        guard status.hasImage, !status.image.id.isEmpty else {
            throw BerthError(.notFound, "no such image \(reference)")
        }
        var request = Runtime_V1_RemoveImageRequest()
        request.image.image = status.image.id
        _ = try await session.call(Method.image("RemoveImage"), request, as: Runtime_V1_RemoveImageResponse.self)
        // An image pulled by digest has no tags; name it by id instead.
        for name in status.image.repoTags.isEmpty ? [status.image.id] : status.image.repoTags {
            print("Deleted: \(name)")
        }
    }
}
