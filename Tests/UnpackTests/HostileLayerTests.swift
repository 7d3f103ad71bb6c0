#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import TestSupport
import Testing
@testable import Unpack

/// Each layer here tries to reach outside its target. The target is `<work>/layer`, next
/// to a sentinel file; afterwards `<work>` must hold exactly those two, unchanged.
@Suite(.enabled(if: isRoot, "layers are unpacked with root's rights, as berthd does"))
struct HostileLayerTests {
    private static let sentinelText = Array("do not touch".utf8)

    /// Unpacks `entries` (written by `write`, or built from `bytes`) and returns the error.
    private func refuse(
        _ entries: [TarEntry] = [], compression: TarCompression = .none, bytes: ((String) throws -> [UInt8])? = nil,
        in work: TestDirectory
    ) throws -> BerthError? {
        let blobs = try TestDirectory()
        let blob = blobs.file("layer.tar")
        if let bytes {
            let data = try bytes(blobs.path)
            #expect(FileManager.default.createFile(atPath: blob, contents: Data(data)))
        } else {
            try TarBuilder.write(entries, to: blob, compression: compression)
        }
        let sentinel = work.file("sentinel")
        #expect(FileManager.default.createFile(atPath: sentinel, contents: Data(Self.sentinelText)))
        let before = try #require(status(sentinel))
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)

        let error = #expect(throws: BerthError.self) {
            try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        }

        #expect(Set(FileSystem.list(work.path)) == ["layer", "sentinel"], "nothing is created outside the layer")
        let after = try #require(status(sentinel))
        #expect(contents(sentinel) == Self.sentinelText)
        #expect(after.st_nlink == 1 && after.st_mode == before.st_mode && after.st_uid == before.st_uid)
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        return error
    }

    @Test func pathTraversal() throws {
        let work = try TestDirectory()
        let error = try refuse([.file("ok"), .file("../x", "escaped")], in: work)
        #expect(error?.message == "layer entry \"../x\": path escapes the layer")
        #expect(error?.code == .invalidArgument)
    }

    @Test func traversalInTheMiddle() throws {
        let work = try TestDirectory()
        let error = try refuse([.file("a/b/../../../sentinel", "overwritten")], in: work)
        #expect(error?.message == "layer entry \"a/b/../../../sentinel\": path escapes the layer")
    }

    @Test func absolutePath() throws {
        let work = try TestDirectory()
        let error = try refuse([.file("\(work.path)/evil", "escaped")], in: work)
        #expect(error?.message == "layer entry \"\(work.path)/evil\": path is absolute")
    }

    @Test func writeThroughAbsoluteSymlink() throws {
        let work = try TestDirectory()
        let error = try refuse([.symlink("a", to: work.path), .file("a/evil", "escaped")], in: work)
        #expect(error?.message == "layer entry \"a/evil\": path passes through symlink \"a\"")
    }

    @Test func writeThroughRelativeSymlink() throws {
        let work = try TestDirectory()
        let error = try refuse([.directory("d"), .symlink("d/up", to: "../.."), .file("d/up/sentinel", "overwritten")], in: work)
        #expect(error?.message == "layer entry \"d/up/sentinel\": path passes through symlink \"d/up\"")
    }

    @Test func directoryThroughSymlink() throws {
        let work = try TestDirectory()
        let error = try refuse([.symlink("a", to: ".."), .directory("a/evil")], in: work)
        #expect(error?.message == "layer entry \"a/evil/\": path passes through symlink \"a\"")
    }

    @Test func whiteoutThroughSymlink() throws {
        let work = try TestDirectory()
        let error = try refuse([.symlink("a", to: work.path), .file("a/.wh.sentinel")], in: work)
        #expect(error?.message == "layer entry \"a/.wh.sentinel\": path passes through symlink \"a\"")
    }

    @Test func opaqueWhiteoutThroughSymlink() throws {
        let work = try TestDirectory()
        let error = try refuse([.symlink("a", to: work.path), .file("a/.wh..wh..opq")], in: work)
        #expect(error?.message == "layer entry \"a/.wh..wh..opq\": path passes through symlink \"a\"")
        #expect(xattr(work.path, "trusted.overlay.opaque") == nil)
    }

    @Test func hardLinkOutOfTheRoot() throws {
        let work = try TestDirectory()
        let error = try refuse([.hardlink("passwd", to: "../../etc/passwd")], in: work)
        #expect(error?.message == "layer entry \"passwd\": hard link target \"../../etc/passwd\" escapes the layer")
    }

    @Test func hardLinkToAbsolutePath() throws {
        let work = try TestDirectory()
        let error = try refuse([.hardlink("s", to: work.file("sentinel"))], in: work)
        #expect(error?.message == "layer entry \"s\": hard link target \"\(work.file("sentinel"))\" is absolute")
    }

    @Test func hardLinkThroughSymlink() throws {
        let work = try TestDirectory()
        let error = try refuse([.symlink("up", to: ".."), .hardlink("s", to: "up/sentinel")], in: work)
        #expect(error?.message == "layer entry \"s\": path passes through symlink \"up\"")
    }

    @Test func hardLinkToMissingTarget() throws {
        let work = try TestDirectory()
        let error = try refuse([.file("present"), .hardlink("s", to: "absent")], in: work)
        #expect(error?.message == "layer entry \"s\": hard link target \"absent\" does not exist")
    }

    @Test func entryDataCutShort() throws {
        let work = try TestDirectory()
        let error = try refuse(bytes: { directory in
            let whole = "\(directory)/whole.tar"
            try TarBuilder.write([.file("big", String(repeating: "x", count: 100_000))], to: whole)
            let bytes = try #require(contents(whole))
            return Array(bytes.prefix(512 + 40_000))
        }, in: work)
        #expect(error?.code == .dataLoss)
        #expect(error?.message.hasPrefix("layer entry \"big\": read data: ") == true)
    }

    @Test func headerClaimsMoreThanTheArchiveHolds() throws {
        let work = try TestDirectory()
        let error = try refuse(bytes: { directory in
            let whole = "\(directory)/whole.tar"
            try TarBuilder.write([.file("claims", String(repeating: "y", count: 8192))], to: whole)
            let bytes = try #require(contents(whole))
            // Header and one block of data, then what looks like tar's end marker.
            return Array(bytes.prefix(1024)) + [UInt8](repeating: 0, count: 1024)
        }, in: work)
        #expect(error?.code == .dataLoss)
        #expect(error?.message.hasPrefix("layer entry \"claims\": read data: ") == true)
    }

    @Test func truncatedGzip() throws {
        let work = try TestDirectory()
        let error = try refuse(bytes: { directory in
            let whole = "\(directory)/whole.tar.gz"
            let data = (0..<200_000).map { _ in UInt8.random(in: 0 ... 255) }
            try TarBuilder.write([TarEntry(path: "noise", data: data)], to: whole, compression: .gzip)
            let bytes = try #require(contents(whole))
            return Array(bytes.prefix(bytes.count / 2))
        }, in: work)
        #expect(error?.code == .dataLoss)
    }

    @Test func corruptHeader() throws {
        let work = try TestDirectory()
        let error = try refuse(bytes: { directory in
            let whole = "\(directory)/whole.tar"
            try TarBuilder.write([.file("first", "1"), .file("second", "2")], to: whole)
            var bytes = try #require(contents(whole))
            // Break the second header's checksum.
            bytes[1024 + 148] = UInt8(ascii: "9")
            bytes[1024 + 149] = UInt8(ascii: "9")
            return bytes
        }, in: work)
        #expect(error?.code == .dataLoss)
    }
}
