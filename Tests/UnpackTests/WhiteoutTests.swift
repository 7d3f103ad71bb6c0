#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import TestSupport
import Testing
@testable import Unpack

@Suite(.enabled(if: isRoot, "whiteout devices and trusted.overlay xattrs need root"))
struct WhiteoutTests {
    @Test func convertsOCIWhiteoutsToOverlay() throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        try TarBuilder.write([
            .directory("a"),
            .file("a/.wh.gone"),
            .file(".wh.top"),
            .file("b/c/.wh..wh..opq"),
            .file("b/keep", "kept"),
            .file(".wh..wh.plnk.123"),
        ], to: blob, compression: .gzip)
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)
        let result = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        #expect(result.entries == 6)

        for hidden in ["a/gone", "top"] {
            let node = try #require(status("\(root)/\(hidden)"))
            #expect(node.st_mode & S_IFMT == S_IFCHR && node.st_rdev == 0, "\(hidden) is a whiteout device")
        }
        #expect(xattr("\(root)/b/c", "trusted.overlay.opaque") == Array("y".utf8))
        #expect(xattr("\(root)/b", "trusted.overlay.opaque") == nil)
        #expect(Set(FileSystem.list(root)) == ["a", "b", "top"], "no .wh. names are left")
        #expect(FileSystem.list("\(root)/a") == ["gone"])
        #expect(FileSystem.list("\(root)/b/c").isEmpty)
    }

    @Test func refusesWhiteoutOfDotDot() throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        try TarBuilder.write([.file("dir/.wh..")], to: blob)
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)
        let error = #expect(throws: BerthError.self) {
            try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        }
        #expect(error?.message == "layer entry \"dir/.wh..\": invalid whiteout name")
    }

    @Test func hidesOddButValidNames() throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        try TarBuilder.write([.file("dir/.wh....")], to: blob)
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)
        _ = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        #expect(status("\(root)/dir/...").map { $0.st_mode & S_IFMT } == S_IFCHR)
    }
}
