#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import TestSupport
import Testing
@testable import Unpack

/// A capability set granting CAP_NET_RAW, in the kernel's v2 `security.capability` layout.
private let netRawCapability: [UInt8] = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

private let richLayer: [TarEntry] = [
    TarEntry(path: "./", type: S_IFDIR, mode: 0o755),
    TarEntry(path: "etc/", type: S_IFDIR, mode: 0o750, uid: 1000, gid: 1001, mtime: (1_600_000_000, 0)),
    TarEntry(path: "etc/passwd", mode: 0o644, uid: 0, gid: 0, mtime: (1_650_000_000, 0), data: Array("root:x:0:0::/root:/bin/sh\n".utf8)),
    TarEntry(path: "bin/", type: S_IFDIR, mode: 0o755),
    TarEntry(path: "bin/su", mode: 0o4755, uid: 0, gid: 0, data: Array("su".utf8)),
    TarEntry(path: "bin/sg", mode: 0o2711, uid: 1, gid: 42, data: Array("sg".utf8)),
    TarEntry(
        path: "bin/ping", mode: 0o755, uid: 0, gid: 0, mtime: (1_690_000_000, 123_456_789), atime: (1_695_000_000, 987_654_321),
        data: Array("ping".utf8),
        xattrs: [("security.capability", netRawCapability), ("trusted.berth.note", Array("kept".utf8))]),
    .hardlink("bin/ping6", to: "bin/ping"),
    .symlink("bin/sh", to: "/bin/busybox"),
    .symlink("lib", to: "usr/lib"),
    .symlink("weird", to: "../../../../outside/is/just/text"),
    TarEntry(path: "tmp/", type: S_IFDIR, mode: 0o1777),
    TarEntry(path: "dev/null", type: S_IFCHR, mode: 0o666, device: (1, 3)),
    TarEntry(path: "run/initctl", type: S_IFIFO, mode: 0o600, uid: 5, gid: 6),
    .file("usr/share/doc/berth/README", "implicit parents"),
    TarEntry(path: "home/", type: S_IFDIR, mode: 0o700, uid: 1000, gid: 1000, mtime: (1_500_000_000, 0)),
    TarEntry(path: "home/big", uid: 1000, gid: 1000, data: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }),
]

@Suite(.enabled(if: isRoot, "restoring owners, devices and trusted xattrs needs root"))
struct RoundTripTests {
    @Test(arguments: TarCompression.allCases)
    func restoresEverythingFromPax(_ compression: TarCompression) throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        try TarBuilder.write(richLayer, to: blob, format: .pax, compression: compression)
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)

        let result = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        #expect(result.entries == richLayer.count)

        let etc = try #require(status("\(root)/etc"))
        #expect(etc.st_mode == S_IFDIR | 0o750)
        #expect(etc.st_uid == 1000 && etc.st_gid == 1001)
        #expect(etc.st_mtim.tv_sec == 1_600_000_000, "directory time is set after its children")
        #expect(contents("\(root)/etc/passwd") == Array("root:x:0:0::/root:/bin/sh\n".utf8))
        #expect(status("\(root)/etc/passwd")?.st_mtim.tv_sec == 1_650_000_000)

        #expect(status("\(root)/bin/su")?.st_mode == S_IFREG | 0o4755)
        let sg = try #require(status("\(root)/bin/sg"))
        #expect(sg.st_mode == S_IFREG | 0o2711 && sg.st_uid == 1 && sg.st_gid == 42)
        #expect(status("\(root)/tmp")?.st_mode == S_IFDIR | 0o1777)

        let ping = try #require(status("\(root)/bin/ping"))
        #expect(ping.st_mtim.tv_sec == 1_690_000_000 && ping.st_mtim.tv_nsec == 123_456_789)
        #expect(ping.st_atim.tv_sec == 1_690_000_000 && ping.st_atim.tv_nsec == 123_456_789, "no atime: the mtime")
        #expect(xattr("\(root)/bin/ping", "security.capability") == netRawCapability)
        #expect(xattr("\(root)/bin/ping", "trusted.berth.note") == Array("kept".utf8))
        let ping6 = try #require(status("\(root)/bin/ping6"))
        #expect(ping6.st_ino == ping.st_ino && ping.st_nlink == 2)

        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/bin/sh") == "/bin/busybox")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/lib") == "usr/lib")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/weird") == "../../../../outside/is/just/text")

        let null = try #require(status("\(root)/dev/null"))
        #expect(null.st_mode == S_IFCHR | 0o666 && null.st_rdev == makeDevice(1, 3))
        let fifo = try #require(status("\(root)/run/initctl"))
        #expect(fifo.st_mode == S_IFIFO | 0o600 && fifo.st_uid == 5 && fifo.st_gid == 6)

        #expect(status("\(root)/usr/share/doc")?.st_mode == S_IFDIR | 0o755)
        #expect(contents("\(root)/usr/share/doc/berth/README") == Array("implicit parents".utf8))
        let home = try #require(status("\(root)/home"))
        #expect(home.st_mode == S_IFDIR | 0o700 && home.st_mtim.tv_sec == 1_500_000_000)
        #expect(contents("\(root)/home/big") == richLayer.last?.data)
    }

    @Test func restoresPaxAccessTime() throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        let bytes = RawTar.file("stamped", Array("t".utf8), pax: [("atime", "1695000000.987654321"), ("mtime", "1690000000.5")])
        #expect(FileManager.default.createFile(atPath: blob, contents: Data(bytes)))
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)
        _ = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        let file = try #require(status("\(root)/stamped"))
        #expect(file.st_atim.tv_sec == 1_695_000_000 && file.st_atim.tv_nsec == 987_654_321)
        #expect(file.st_mtim.tv_sec == 1_690_000_000 && file.st_mtim.tv_nsec == 500_000_000)
    }

    @Test func restoresUstar() throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        let entries: [TarEntry] = [
            TarEntry(path: "a/", type: S_IFDIR, mode: 0o711, uid: 7, gid: 8),
            TarEntry(path: "a/file", mode: 0o640, uid: 7, gid: 8, data: Array("ustar".utf8)),
            .hardlink("a/link", to: "a/file"),
            .symlink("a/sym", to: "file"),
        ]
        try TarBuilder.write(entries, to: blob, format: .ustar, compression: .gzip)
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)
        _ = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        let file = try #require(status("\(root)/a/file"))
        #expect(file.st_mode == S_IFREG | 0o640 && file.st_uid == 7 && file.st_gid == 8)
        #expect(status("\(root)/a/link")?.st_ino == file.st_ino)
        #expect(contents("\(root)/a/sym") == Array("ustar".utf8))
        #expect(status("\(root)/a")?.st_mode == S_IFDIR | 0o711)
    }

    @Test func laterEntriesReplaceEarlierOnes() throws {
        let work = try TestDirectory()
        let blob = work.file("layer.tar")
        try TarBuilder.write([
            .file("x", "first"), .file("x", "second"),
            .directory("d"), .file("d/inner", "gone"), .file("d", "now a file"),
            .file("s", "file"), .symlink("s", to: "elsewhere"),
        ], to: blob)
        let root = work.file("layer")
        #expect(mkdir(root, 0o700) == 0)
        _ = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        #expect(contents("\(root)/x") == Array("second".utf8))
        #expect(contents("\(root)/d") == Array("now a file".utf8))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/s") == "elsewhere")
    }
}

func makeDevice(_ major: UInt64, _ minor: UInt64) -> dev_t {
    dev_t(((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff))
}
