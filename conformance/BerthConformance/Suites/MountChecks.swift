import BerthBase
import CRI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// "Mounts": host-path volumes, read-only, propagation and recursive read-only.
enum MountChecks {
    static let all: [Check] = [
        hostPath, hostPathSymlink, readOnly, privatePropagation, slavePropagation, sharedPropagation,
        recursiveReadOnly, rroWithoutReadOnly, rroWithSlave,
    ]

    static let target = "/mnt/vol"

    /// Runs `body` with a fresh host directory holding `hello` (and an empty `sub/`), then
    /// unmounts whatever is mounted below it and removes it.
    static func withVolume<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = try HostFiles.temporaryDirectory("berth-conformance-vol")
        defer { cleanUp(directory) }
        try HostFiles.write("hello from the host\n", to: "\(directory)/hello")
        try FileSystem.makeDirectory("\(directory)/sub")
        return try await body(directory)
    }

    static func cleanUp(_ directory: String) {
        let mounts = HostFiles.read("/proc/self/mountinfo")?.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4])
            return point == directory || point.hasPrefix(directory + "/") ? point : nil
        } ?? []
        // Deepest first; a point mounted twice is unmounted as often as it is listed.
        for point in mounts.sorted(by: { $0.count > $1.count }) {
            HostFiles.unmount(point)
        }
        try? FileSystem.removeTree(directory)
    }

    static func mount(
        _ hostPath: String, readonly: Bool = false, propagation: Runtime_V1_MountPropagation = .propagationPrivate,
        recursiveReadOnly: Bool = false
    ) -> Runtime_V1_Mount {
        var mount = Runtime_V1_Mount()
        mount.containerPath = target
        mount.hostPath = hostPath
        mount.readonly = readonly
        mount.propagation = propagation
        mount.recursiveReadOnly = recursiveReadOnly
        return mount
    }

    static let hostPath = Check("mounts/host-path volume is shared with the host") { harness in
        try await withVolume { directory in
            try await harness.withPod("hostpath") { pod in
                let id = try await pod.run("c") { $0.mounts = [mount(directory)] }
                try expectEqual(try await harness.output(id, ["cat", "\(target)/hello"]), "hello from the host", "file read inside")
                _ = try await harness.output(id, ["sh", "-c", "echo from the container > \(target)/written"])
                try expectEqual(HostFiles.read("\(directory)/written"), "from the container\n", "file written inside, read on the host")
            }
        }
    }

    static let hostPathSymlink = Check("mounts/host-path volume whose host path is a symlink") { harness in
        try await withVolume { directory in
            let link = directory + "-link"
            guard symlink(directory, link) == 0 else {
                throw CheckFailure(reason: "symlink \(link): \(FileSystem.errnoText())")
            }
            defer { unlink(link) }
            try await harness.withPod("hostpath-link") { pod in
                let id = try await pod.run("c") { $0.mounts = [mount(link)] }
                try expectEqual(try await harness.output(id, ["cat", "\(target)/hello"]), "hello from the host", "file read through the symlink")
                let kind = try await harness.output(id, ["stat", "-c", "%F", target])
                try expectEqual(kind, "directory", "what the volume is inside")
            }
        }
    }

    static let readOnly = Check("mounts/read-only volume refuses writes") { harness in
        try await withVolume { directory in
            try await harness.withPod("readonly") { pod in
                let id = try await pod.run("c") { $0.mounts = [mount(directory, readonly: true)] }
                try expectEqual(try await harness.output(id, ["cat", "\(target)/hello"]), "hello from the host", "file read inside")
                let write = try await harness.shell(id, "echo x > \(target)/written")
                try expect(write.code != 0, "writing into a read-only volume succeeded")
                try expect(!FileSystem.exists("\(directory)/written"), "the write reached the host")
            }
        }
    }

    static let privatePropagation = Check("mounts/private propagation hides host mounts made after start") { harness in
        try await withVolume { directory in
            try HostFiles.makeSharedMount(directory)
            try await harness.withPod("private") { pod in
                let id = try await pod.run("c") { $0.mounts = [mount(directory, propagation: .propagationPrivate)] }
                try HostFiles.mount("berth-conformance", "\(directory)/sub", type: "tmpfs", flags: 0)
                try HostFiles.write("mounted later\n", to: "\(directory)/sub/marker")
                try await Task.sleep(for: .milliseconds(500))
                let seen = try await harness.shell(id, "cat \(target)/sub/marker")
                try expect(seen.code != 0, "a host mount made after start is visible through a private volume: \(seen.text)")
            }
        }
    }

    static let slavePropagation = Check("mounts/rslave propagation shows host mounts made after start") { harness in
        try await withVolume { directory in
            try HostFiles.makeSharedMount(directory)
            try await harness.withPod("rslave") { pod in
                let id = try await pod.run("c") { $0.mounts = [mount(directory, propagation: .propagationHostToContainer)] }
                try HostFiles.mount("berth-conformance", "\(directory)/sub", type: "tmpfs", flags: 0)
                try HostFiles.write("mounted later\n", to: "\(directory)/sub/marker")
                try await waitUntil("host mount visible inside", within: .seconds(5)) {
                    try await harness.shell(id, "cat \(target)/sub/marker").text == "mounted later"
                }
                // Slave: a mount made inside does not reach the host (the container cannot
                // mount anyway without privilege, so only the host side is checked here).
            }
        }
    }

    static let sharedPropagation = Check("mounts/rshared propagation shows container mounts on the host") { harness in
        try await withVolume { directory in
            try HostFiles.makeSharedMount(directory)
            try await harness.withPod("rshared", { $0.linux.securityContext.privileged = true }) { pod in
                let id = try await pod.run("c") { config in
                    config.mounts = [mount(directory, propagation: .propagationBidirectional)]
                    config.linux.securityContext.privileged = true
                }
                _ = try await harness.output(
                    id, ["sh", "-c", "mount -t tmpfs inside \(target)/sub && echo mounted inside > \(target)/sub/marker"])
                try await waitUntil("container mount visible on the host", within: .seconds(5)) {
                    HostFiles.read("\(directory)/sub/marker") == "mounted inside\n"
                }
                try expect(HostFiles.isMountPoint("\(directory)/sub"), "\(directory)/sub is not a mount point on the host")
            }
        }
    }

    /// Skips when berthd says the handler cannot do recursive read-only mounts.
    static func requireRecursiveReadOnly(_ harness: Harness) async throws {
        if let features = try await harness.handlerFeatures(), !features.recursiveReadOnlyMounts {
            throw CheckSkipped(reason: "berthd reports recursive_read_only_mounts false for handler \(harness.runtimeHandler)")
        }
    }

    static let recursiveReadOnly = Check("mounts/recursive read-only makes submounts read-only") { harness in
        try await requireRecursiveReadOnly(harness)
        try await withVolume { directory in
            try HostFiles.mount("berth-conformance", "\(directory)/sub", type: "tmpfs", flags: 0)
            try HostFiles.write("submount\n", to: "\(directory)/sub/marker")
            try await harness.withPod("rro") { pod in
                let id = try await pod.run("c") { $0.mounts = [mount(directory, readonly: true, recursiveReadOnly: true)] }
                try expectEqual(try await harness.output(id, ["cat", "\(target)/sub/marker"]), "submount", "submount content inside")
                let top = try await harness.shell(id, "touch \(target)/x")
                try expect(top.code != 0, "writing into the volume succeeded")
                let sub = try await harness.shell(id, "touch \(target)/sub/x")
                try expect(sub.code != 0, "writing into a submount of a recursive read-only volume succeeded")
                try expect(!FileSystem.exists("\(directory)/sub/x"), "the write reached the host")
            }
        }
    }

    static let rroWithoutReadOnly = Check("mounts/recursive read-only without readonly is invalid_argument") { harness in
        try await refused(harness, mount("/tmp", readonly: false, recursiveReadOnly: true), "rro without readonly")
    }

    static let rroWithSlave = Check("mounts/recursive read-only with rslave propagation is invalid_argument") { harness in
        try await refused(
            harness, mount("/tmp", readonly: true, propagation: .propagationHostToContainer, recursiveReadOnly: true),
            "rro with rslave propagation")
    }

    static func refused(_ harness: Harness, _ volume: Runtime_V1_Mount, _ what: String) async throws {
        try await harness.withPod("mount-refused") { pod in
            _ = try await expectError([.invalidArgument], "CreateContainer with \(what)") {
                try await pod.create("c") { $0.mounts = [volume] }
            }
        }
    }
}
