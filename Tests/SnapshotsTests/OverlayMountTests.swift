#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import CXattr
import Foundation
import TestSupport
import Testing
@testable import Snapshots

/// Performs a snapshot's mount the way the runtime will: `mount(8)` run from the snapshot's
/// working directory.
private func mount(_ snapshot: OverlaySnapshot, at target: String) throws {
    let mount = try #require(snapshot.mounts.first)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/mount")
    process.arguments = ["-t", mount.type, mount.source, "-o", mount.optionString, target]
    if let directory = snapshot.workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0 else { throw TestFailure("mount: \(message)") }
}

private func unmount(_ target: String) {
    umount2(target, Int32(MNT_DETACH))
}

@Suite(.enabled(if: isRoot, "mounting overlayfs needs root"), .serialized)
struct OverlayMountTests {
    @Test func mergedViewHonoursWhiteoutsAndOpaqueDirectories() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        try addLayer(store, chainID(0)) { diff in
            try write("one", to: "\(diff)/a/file1")
            try write("two", to: "\(diff)/a/file2")
            try write("old", to: "\(diff)/b/x")
            try write("base", to: "\(diff)/same")
        }
        try addLayer(store, chainID(1)) { diff in
            try FileManager.default.createDirectory(atPath: "\(diff)/a", withIntermediateDirectories: true)
            #expect(mknod("\(diff)/a/file1", S_IFCHR, 0) == 0)
            try write("new", to: "\(diff)/b/new")
            #expect(setxattr("\(diff)/b", "trusted.overlay.opaque", "y", 1, 0) == 0)
            try write("middle", to: "\(diff)/same")
        }
        try addLayer(store, chainID(2)) { diff in
            try write("top", to: "\(diff)/d/top")
            try write("top", to: "\(diff)/same")
        }
        let container = "\(work.path)/container"
        for name in ["upper", "work", "rootfs"] {
            try FileManager.default.createDirectory(atPath: "\(container)/\(name)", withIntermediateDirectories: true)
        }
        let snapshot = try store.overlaySnapshot(
            chainIDs: (0..<3).map(chainID), upperDir: "\(container)/upper", workDir: "\(container)/work")
        let rootfs = "\(container)/rootfs"
        try mount(snapshot, at: rootfs)
        defer { unmount(rootfs) }

        #expect(!FileSystem.exists("\(rootfs)/a/file1"), "hidden by the whiteout")
        #expect(read("\(rootfs)/a/file2") == "two")
        #expect(!FileSystem.exists("\(rootfs)/b/x"), "hidden by the opaque directory")
        #expect(read("\(rootfs)/b/new") == "new")
        #expect(read("\(rootfs)/d/top") == "top")
        #expect(read("\(rootfs)/same") == "top")

        try write("written", to: "\(rootfs)/d/upper-file")
        #expect(read("\(container)/upper/d/upper-file") == "written")
        #expect(!FileSystem.exists("\(store.diffPath(chainID(2)))/d/upper-file"), "layers stay untouched")
    }

    @Test func hundredTwentyLayersMountThroughShortLinks() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let ids = (0..<120).map(chainID)
        for (index, id) in ids.enumerated() {
            try addLayer(store, id) { diff in
                try write("\(index)", to: "\(diff)/layer-\(index)")
                try write("\(index)", to: "\(diff)/which")
            }
        }
        let container = "\(work.path)/container"
        for name in ["upper", "work", "rootfs"] {
            try FileManager.default.createDirectory(atPath: "\(container)/\(name)", withIntermediateDirectories: true)
        }
        let snapshot = try store.overlaySnapshot(chainIDs: ids, upperDir: "\(container)/upper", workDir: "\(container)/work")
        #expect(snapshot.workingDirectory == store.root)
        let rootfs = "\(container)/rootfs"
        try mount(snapshot, at: rootfs)
        defer { unmount(rootfs) }

        #expect(read("\(rootfs)/layer-0") == "0")
        #expect(read("\(rootfs)/layer-119") == "119")
        #expect(read("\(rootfs)/which") == "119", "the last layer of the image is on top")
        #expect(FileSystem.list(rootfs).count == 121)
    }

    @Test func readOnlyViewCannotBeWritten() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        for index in 0..<2 {
            try addLayer(store, chainID(index)) { try write("\(index)", to: "\($0)/f\(index)") }
        }
        let target = "\(work.path)/view"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let snapshot = try store.readOnlySnapshot(chainIDs: [chainID(0), chainID(1)])
        try mount(snapshot, at: target)
        defer { unmount(target) }
        #expect(read("\(target)/f0") == "0" && read("\(target)/f1") == "1")
        #expect(open("\(target)/new", O_WRONLY | O_CREAT, 0o644) == -1 && errno == EROFS)
    }
}
