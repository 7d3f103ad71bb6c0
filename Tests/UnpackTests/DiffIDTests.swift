#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import TestSupport
import Testing
@testable import Unpack

@Suite(.enabled(if: isRoot, "layers are unpacked with root's rights, as berthd does"))
struct DiffIDTests {
    private let entries: [TarEntry] = [
        .directory("etc"), .file("etc/hostname", "berth\n"), .symlink("etc/localtime", to: "/usr/share/zoneinfo/UTC"),
        TarEntry(path: "data", data: (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) }),
    ]

    @Test(arguments: TarCompression.allCases)
    func diffIDIsTheHashOfTheUncompressedTar(_ compression: TarCompression) throws {
        let work = try TestDirectory()
        let plain = work.file("plain.tar")
        try TarBuilder.write(entries, to: plain)
        let tarBytes = try #require(contents(plain))
        let blob = work.file("layer")
        try TarBuilder.write(entries, to: blob, compression: compression)
        let root = work.file("root")
        #expect(mkdir(root, 0o700) == 0)

        let result = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        #expect(result.diffID == SHA256Hasher.digest(tarBytes))
        #expect(result.uncompressedSize == Int64(tarBytes.count))
        #expect(result.entries == entries.count)
    }

    @Test func hashCoversBytesAfterTheEndMarker() throws {
        let work = try TestDirectory()
        let plain = work.file("plain.tar")
        try TarBuilder.write([.file("a", "a")], to: plain)
        let padded = try #require(contents(plain)) + [UInt8](repeating: 0, count: 10_240)
        let blob = work.file("padded.tar")
        #expect(FileManager.default.createFile(atPath: blob, contents: Data(padded)))
        let root = work.file("root")
        #expect(mkdir(root, 0o700) == 0)
        let result = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        #expect(result.diffID == SHA256Hasher.digest(padded))
        #expect(result.uncompressedSize == Int64(padded.count))
    }

    @Test func cancelledBeforeStartFails() throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        try TarBuilder.write(entries, to: blob, compression: .gzip)
        let root = work.file("root")
        #expect(mkdir(root, 0o700) == 0)
        let flag = CancellationFlag()
        flag.cancel()
        let error = #expect(throws: BerthError.self) { try LayerUnpacker.unpack(blob: blob, into: root, cancel: flag) }
        #expect(error?.code == .cancelled)
    }

    @Test func emptyBlobIsRefused() throws {
        let work = try TestDirectory()
        let blob = work.file("empty")
        #expect(FileManager.default.createFile(atPath: blob, contents: Data()))
        let root = work.file("root")
        #expect(mkdir(root, 0o700) == 0)
        #expect(throws: BerthError.self) { try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag()) }
    }
}
