import BerthBase
import CRI

/// "Images": pull, status, list, remove and image metadata, against the test registry.
enum ImageChecks {
    static let all: [Check] =
        [
            pullByTag, pullImplicitLatest, pullByDigest, statusByEveryName, threeTags, removeByOneTag,
            removeAcrossRegistryNames, threeDistinctImages, listFollowsPullAndRemove, concurrentRemovals,
        ] + imageUsers
        + [
            pullMultiArch, pullDockerSchema2, pullManyLayers,
            expiredDeadline, missingImage, badReference, digestMismatch, unreachableRegistry, removeMissing,
            imageFsInfo,
            imageVolume, imageIDInContainerStatus,
        ]

    static let pullByTag = Check("images/pull by tag", uses: ["busybox"]) { harness in
        let reference = harness.reference("busybox:latest")
        try await harness.withClean([reference]) {
            let id = try await harness.pull(reference)
            let image = try await harness.requireStatus(reference)
            try expectEqual(image.id, id, "image id in ImageStatus vs PullImage")
            try expectEqual(image.repoTags, [reference], "repo tags")
            let digest = try await harness.probe.manifestDigest(repository: "busybox", reference: "latest")
            try expectEqual(image.repoDigests, [harness.reference("busybox@\(digest)")], "repo digests")
            try expect(image.size > 0, "image size is 0")
        }
    }

    static let pullImplicitLatest = Check("images/pull with implicit latest tag", uses: ["busybox"]) { harness in
        let reference = harness.reference("busybox")
        let tagged = harness.reference("busybox:latest")
        try await harness.withClean([tagged]) {
            let id = try await harness.pull(reference)
            let image = try await harness.requireStatus(tagged)
            try expectEqual(image.id, id, "image id in ImageStatus vs PullImage")
            try expectEqual(image.repoTags, [tagged], "repo tags")
        }
    }

    static let pullByDigest = Check("images/pull by digest", uses: ["busybox"]) { harness in
        let digest = try await harness.probe.manifestDigest(repository: "busybox", reference: "latest")
        let reference = harness.reference("busybox@\(digest)")
        try await harness.withClean([reference, harness.reference("busybox:latest")]) {
            let id = try await harness.pull(reference)
            let image = try await harness.requireStatus(reference)
            try expectEqual(image.id, id, "image id in ImageStatus vs PullImage")
            try expectEqual(image.repoDigests, [reference], "repo digests")
            try expectEqual(image.repoTags, [], "repo tags of an image pulled by digest only")
        }
    }

    static let statusByEveryName = Check("images/status by id, tag and digest is one record", uses: ["busybox"]) {
        harness in
        let tag = harness.reference("busybox:latest")
        let digest = try await harness.probe.manifestDigest(repository: "busybox", reference: "latest")
        let byDigest = harness.reference("busybox@\(digest)")
        try await harness.withClean([tag]) {
            let id = try await harness.pull(tag)
            let records = [
                ("id", try await harness.requireStatus(id)),
                ("tag", try await harness.requireStatus(tag)),
                ("digest", try await harness.requireStatus(byDigest)),
                ("short id", try await harness.requireStatus(String(id.dropFirst("sha256:".count).prefix(12)))),
            ]
            for (name, record) in records {
                try expect(record == records[0].1, "status by \(name) differs from status by id: \(record) vs \(records[0].1)")
            }
        }
    }

    static let threeTags = Check("images/one image under three tags lists once", uses: ["busybox"]) { harness in
        let tags = ["a", "b", "c"].map { harness.reference("busybox-tags:\($0)") }
        try await harness.withClean(tags) {
            var ids: Set<String> = []
            for tag in tags {
                ids.insert(try await harness.pull(tag))
            }
            try expectEqual(ids.count, 1, "distinct image ids for three tags of one image")
            let listed = try await harness.list().filter { !Set($0.repoTags).isDisjoint(with: tags) }
            try expectEqual(listed.count, 1, "images listed carrying these tags")
            try expectEqual(Set(listed[0].repoTags), Set(tags), "repo tags")
            for tag in tags {
                try expectEqual(try await harness.requireStatus(tag), listed[0], "status by \(tag) vs list")
            }
        }
    }

    static let removeByOneTag = Check("images/removing by one tag removes every tag", uses: ["busybox"]) { harness in
        let tags = ["a", "b", "c"].map { harness.reference("busybox-tags:\($0)") }
        try await harness.withClean(tags) {
            for tag in tags {
                _ = try await harness.pull(tag)
            }
            try await harness.remove(tags[0])
            for tag in tags {
                try expect(try await harness.status(tag) == nil, "\(tag) still present after removing \(tags[0])")
            }
            let listed = try await harness.list().filter { !Set($0.repoTags).isDisjoint(with: tags) }
            try expect(listed.isEmpty, "still listed after removal: \(listed.map(\.repoTags))")
        }
    }

    static let removeAcrossRegistryNames = Check(
        "images/removing by one tag removes tags across registry names", uses: ["busybox"]
    ) { harness in
        let mirrored = "registry.k8s.io/busybox-tags:a"
        let local = harness.reference("busybox-tags:b")
        try await harness.withClean([mirrored, local]) {
            let first = try await harness.pull(mirrored)
            let second = try await harness.pull(local)
            try expectEqual(second, first, "image id under two registry names")
            let image = try await harness.requireStatus(local)
            try expectEqual(Set(image.repoTags), [mirrored, local], "repo tags")
            try await harness.remove(mirrored)
            try expect(try await harness.status(local) == nil, "\(local) still present after removing \(mirrored)")
        }
    }

    static let threeDistinctImages = Check("images/three different images list as three", uses: ["busybox-distinct"]) {
        harness in
        let references = (1...3).map { harness.reference("busybox-distinct-\($0):latest") }
        try await harness.withClean(references) {
            var ids: [String] = []
            for reference in references {
                ids.append(try await harness.pull(reference))
            }
            try expectEqual(Set(ids).count, 3, "distinct image ids")
            let listed = try await harness.list()
            for (reference, id) in zip(references, ids) {
                let matching = listed.filter { $0.id == id }
                try expectEqual(matching.count, 1, "images listed with id \(id)")
                try expectEqual(matching[0].repoTags, [reference], "repo tags of \(id)")
            }
        }
    }

    static let listFollowsPullAndRemove = Check(
        "images/listed right after pull, gone right after removal", uses: ["busybox"]
    ) { harness in
        let reference = harness.reference("busybox:latest")
        try await harness.withClean([reference]) {
            let id = try await harness.pull(reference)
            let afterPull = try await harness.list()
            try expect(afterPull.contains { $0.id == id && $0.repoTags.contains(reference) }, "\(reference) not listed after pull")
            try await harness.remove(reference)
            let afterRemove = try await harness.list()
            try expect(!afterRemove.contains { $0.id == id }, "\(id) still listed after removal")
        }
    }

    static let concurrentRemovals = Check("images/concurrent removals of one image all succeed", uses: ["busybox"]) {
        harness in
        let reference = harness.reference("busybox:latest")
        try await harness.withClean([reference]) {
            let id = try await harness.pull(reference)
            let failures = await withTaskGroup(of: String?.self) { group in
                for target in [reference, id, reference, id, reference] {
                    group.addTask {
                        do {
                            try await harness.remove(target)
                            return nil
                        } catch {
                            return "remove \(target): \(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
            }
            try expect(failures.isEmpty, failures.joined(separator: "; "))
            try expect(try await harness.status(reference) == nil, "\(reference) still present")
        }
    }

    /// The four ways a Dockerfile's USER can name the user, and what CRI must report.
    static let imageUsers: [Check] = userCases.map { name, uid, username in
        Check("images/image user of \(name)", uses: [name]) { harness in
            let reference = harness.reference("\(name):latest")
            try await harness.withClean([reference]) {
                _ = try await harness.pull(reference)
                let image = try await harness.requireStatus(reference)
                try expectEqual(image.hasUid ? image.uid.value : nil, uid, "uid")
                try expectEqual(image.username, username, "username")
            }
        }
    }

    private static let userCases: [(name: String, uid: Int64?, username: String)] = [
        ("busybox-user-1002", 1002, ""),
        ("busybox-user-www-data", nil, "www-data"),
        ("busybox-user-1003-1004", 1003, ""),
        ("busybox-user-www-data-1004", nil, "www-data"),
    ]

    static let pullMultiArch = Check("images/pull of a multi-platform index", uses: ["multiarch"]) { harness in
        let reference = harness.reference("multiarch:latest")
        let digest = try await harness.probe.manifestDigest(repository: "multiarch", reference: "latest")
        try await harness.withClean([reference]) {
            _ = try await harness.pull(reference)
            let image = try await harness.requireStatus(reference)
            try expectEqual(image.repoDigests, [harness.reference("multiarch@\(digest)")], "repo digests (the index's)")
        }
    }

    static let pullDockerSchema2 = Check("images/pull of a Docker schema 2 image", uses: ["docker-schema2"]) { harness in
        let reference = harness.reference("docker-schema2:latest")
        try await harness.withClean([reference]) {
            let id = try await harness.pull(reference)
            try expectEqual(try await harness.requireStatus(reference).id, id, "image id")
        }
    }

    static let pullManyLayers = Check("images/pull of an image with 120 layers", uses: ["layers-120"]) { harness in
        let reference = harness.reference("layers-120:latest")
        try await harness.withClean([reference]) {
            let id = try await harness.pull(reference)
            try expectEqual(try await harness.requireStatus(reference).id, id, "image id")
        }
    }

    static let expiredDeadline = Check("images/pull with an expired deadline fails", uses: ["layers-120"]) { harness in
        let reference = harness.reference("layers-120:latest")
        try await harness.withClean([reference]) {
            try await expectError([.deadlineExceeded], "pull \(reference) with a 1ms deadline") {
                try await harness.pull(reference, timeout: .milliseconds(1))
            }
        }
    }

    static let missingImage = Check("images/pull of a missing image fails with not_found") { harness in
        let reference = harness.reference("does-not-exist:latest")
        let error = try await expectError([.notFound], "pull \(reference)") { try await harness.pull(reference) }
        try expect(error.message.contains("does-not-exist"), "message does not name the image: \(error.message)")
    }

    static let badReference = Check("images/pull of a bad reference fails with invalid_argument") { harness in
        for reference in [
            harness.reference("BusyBox:latest"), harness.reference("busybox:-bad"),
            harness.reference("busybox@sha256:xyz"), harness.reference("../busybox"), "",
        ] {
            try await expectError([.invalidArgument], "pull \"\(reference)\"") { try await harness.pull(reference) }
        }
    }

    static let digestMismatch = Check("images/pull by an unknown digest fails") { harness in
        let reference = harness.reference("busybox@sha256:" + String(repeating: "0", count: 64))
        try await expectError(Set(ErrorCode.allCases), "pull \(reference)") { try await harness.pull(reference) }
        try expect(try await harness.status(reference) == nil, "\(reference) present after a failed pull")
    }

    static let unreachableRegistry = Check("images/pull from an unreachable registry fails with unavailable") { harness in
        let reference = "127.0.0.1:1/busybox:latest"
        let error = try await expectError([.unavailable], "pull \(reference)") { try await harness.pull(reference) }
        try expect(error.message.contains("127.0.0.1:1"), "message does not name the registry: \(error.message)")
    }

    static let removeMissing = Check("images/removing a missing image succeeds") { harness in
        try await harness.remove(harness.reference("never-pulled:latest"))
        try await harness.remove("sha256:" + String(repeating: "f", count: 64))
    }

    static let imageFsInfo = Check("images/image filesystem info after a pull", uses: ["busybox"]) { harness in
        let reference = harness.reference("busybox:latest")
        try await harness.withClean([reference]) {
            _ = try await harness.pull(reference)
            let info = try await harness.call(
                Method.image("ImageFsInfo"), Runtime_V1_ImageFsInfoRequest(), as: Runtime_V1_ImageFsInfoResponse.self)
            guard let usage = info.imageFilesystems.first else {
                throw CheckFailure(reason: "no image filesystems reported")
            }
            try expect(!usage.fsID.mountpoint.isEmpty, "image filesystem has no mountpoint")
            try expect(usage.usedBytes.value > 0, "image filesystem at \(usage.fsID.mountpoint) reports 0 bytes used")
            try expect(usage.timestamp > 0, "image filesystem usage has no timestamp")
        }
    }

    static let imageVolume = Check("images/image volume mounted read-only with sub-path", uses: ["busybox-distinct"]) { harness in
        let reference = harness.reference("busybox-distinct-2:latest")
        try await harness.withClean([reference]) {
            _ = try await harness.pull(reference)
            try await imageVolumeBody(harness, reference)
        }
    }

    private static func imageVolumeBody(_ harness: Harness, _ reference: String) async throws {
        try await harness.withPod("image-volume") { pod in
            var volume = Runtime_V1_Mount()
            volume.containerPath = "/mnt/image"
            volume.image.image = reference
            volume.imageSubPath = "etc"
            volume.readonly = true
            let id = try await pod.run("c") { $0.mounts = [volume] }
            try expectEqual(
                try await harness.output(id, ["head", "-n", "1", "/mnt/image/passwd"]), "root:x:0:0:root:/root:/bin/sh",
                "/mnt/image/passwd (the image's /etc/passwd)")
            let outside = try await harness.shell(id, "test -e /mnt/image/distinct || test -e /mnt/image/bin")
            try expect(outside.code != 0, "the volume shows the image's root, not its etc sub-path")
            let write = try await harness.shell(id, "echo x > /mnt/image/written")
            try expect(write.code != 0, "writing into an image volume succeeded")
        }
        // The whole image, no sub-path: /distinct holds "2".
        try await harness.withPod("image-volume-root") { pod in
            var volume = Runtime_V1_Mount()
            volume.containerPath = "/mnt/image"
            volume.image.image = reference
            volume.readonly = true
            let id = try await pod.run("c") { $0.mounts = [volume] }
            try expectEqual(try await harness.output(id, ["cat", "/mnt/image/distinct"]), "2", "/mnt/image/distinct")
        }
    }

    static let imageIDInContainerStatus = Check("images/image id same in ContainerStatus and ListContainers") { harness in
        try await harness.withPod("image-id") { pod in
            let imageID = try await harness.requireStatus(harness.probeImage).id
            let id = try await pod.create("c")
            let status = try await harness.containerStatus(id)
            let listed = try await harness.listContainers { $0.id = id }
            try expectEqual(listed.count, 1, "containers listed with id \(id)")
            try expectEqual(status.imageID, imageID, "image_id in ContainerStatus")
            try expectEqual(listed[0].imageID, imageID, "image_id in ListContainers")
            try expect(!status.imageRef.isEmpty, "image_ref in ContainerStatus is empty")
            try expect(!listed[0].imageRef.isEmpty, "image_ref in ListContainers is empty")
            try expectEqual(status.image.image, harness.probeImage, "image in ContainerStatus")
        }
    }
}
