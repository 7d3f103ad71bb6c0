#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import CXattr
import Foundation
import TestSupport
import Testing
@testable import Unpack

/// A real directory tree archived by GNU tar (an independent writer), unpacked, and compared
/// field by field with the original.
@Suite(.enabled(if: isRoot, "device nodes, owners and trusted xattrs need root"))
struct GNUTarRoundTripTests {
    private static let longDirectory = "deep/" + String(repeating: "d", count: 120)
    private static let longFile = longDirectory + "/" + String(repeating: "f", count: 130)
    private static let longTarget = Array(repeating: "target", count: 25).joined(separator: "/")

    /// Every kind of entry, with owners, odd modes, long names and xattrs.
    private func makeTree(at root: String) throws {
        func check(_ status: Int32, _ what: String) throws {
            if status != 0 { throw TestFailure("\(what): \(String(cString: strerror(errno)))") }
        }
        func file(_ path: String, _ data: [UInt8], mode: mode_t = 0o644, owner: (uid_t, gid_t) = (0, 0)) throws {
            guard FileManager.default.createFile(atPath: "\(root)/\(path)", contents: Data(data)) else { throw TestFailure("create \(path)") }
            try check(chown("\(root)/\(path)", owner.0, owner.1), "chown \(path)")
            try check(chmod("\(root)/\(path)", mode), "chmod \(path)")
        }
        for directory in ["", "etc", "bin", "srv", "run", "dev", "tmp", "empty-dir", Self.longDirectory] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        try check(chmod("\(root)/tmp", 0o1777), "chmod tmp")
        try check(chmod("\(root)/etc", 0o750), "chmod etc")
        try check(chown("\(root)/etc", 1000, 1001), "chown etc")
        try file("etc/passwd", Array("root:x:0:0::/root:/bin/sh\n".utf8))
        try file("bin/su", Array("su".utf8), mode: 0o4755)
        try file("bin/sg", Array("sg".utf8), mode: 0o2711, owner: (1, 42))
        // Past 0o7777777: GNU tar writes these owners in base-256.
        try file("srv/owned", Array("owned".utf8), mode: 0o640, owner: (3_000_000, 2_500_000))
        try file("empty", [])
        try file("big", (0 ..< 1_500_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) })
        try file(Self.longFile, Array("long".utf8))
        try check(link("\(root)/\(Self.longFile)", "\(root)/deep/hard"), "link")
        try check(symlink(Self.longTarget, "\(root)/dangling"), "symlink")
        try check(symlink("etc/passwd", "\(root)/rel"), "symlink")
        try check(mkfifo("\(root)/run/fifo", 0o620), "mkfifo")
        try check(chmod("\(root)/run/fifo", 0o620), "chmod fifo")
        try check(mknod("\(root)/dev/null", S_IFCHR | 0o666, makeDevice(1, 3)), "mknod")
        try check(mknod("\(root)/dev/loop9", S_IFBLK | 0o660, makeDevice(7, 9)), "mknod")
        try check(chmod("\(root)/dev/null", 0o666), "chmod null")
        try check(setxattr("\(root)/bin/su", "user.note", "n", 1, 0), "setxattr")
        let binary: [UInt8] = [0, 1, 2, 10]
        try check(setxattr("\(root)/bin/su", "trusted.berth", binary, binary.count, 0), "setxattr")
        // Times last, deepest first, so that creating children does not change them.
        let directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(directory) }
        var stamp = 1_600_000_000
        for path in try paths(in: root).reversed() + [""] {
            stamp += 1
            let time = timespec(tv_sec: stamp, tv_nsec: 123_456_789)
            try check(setTimes(time, time, at: path.isEmpty ? "." : path, in: directory), "times \(path)")
        }
    }

    private func paths(in root: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: root).sorted()
    }

    @Test(arguments: [
        (["--format=gnu"], false),
        (["--format=gnu", "-z"], false),
        (["--format=posix", "--xattrs", "--xattrs-include=*"], true),
        (["--format=posix", "--xattrs", "--xattrs-include=*", "-z"], true),
    ])
    func unpacksWhatGNUTarWrote(_ options: [String], _ isPax: Bool) throws {
        let work = try TestDirectory()
        let tree = work.file("tree")
        try makeTree(at: tree)
        let blob = work.file("layer")
        try run("/bin/tar", options + ["--numeric-owner", "-cf", blob, "-C", tree, "."])
        let root = work.file("root")
        #expect(mkdir(root, 0o700) == 0)
        let result = try LayerUnpacker.unpack(blob: blob, into: root, cancel: CancellationFlag())
        let expected = try paths(in: tree)
        #expect(try paths(in: root) == expected)
        #expect(result.entries >= expected.count + 1)

        for path in [""] + expected {
            let source = try #require(status("\(tree)/\(path)"))
            let copy = try #require(status("\(root)/\(path)"), "\(path)")
            #expect(copy.st_mode == source.st_mode, "mode of \(path)")
            #expect(copy.st_uid == source.st_uid && copy.st_gid == source.st_gid, "owner of \(path)")
            #expect(copy.st_mtim.tv_sec == source.st_mtim.tv_sec, "mtime of \(path)")
            if isPax {
                #expect(copy.st_mtim.tv_nsec == source.st_mtim.tv_nsec, "mtime fraction of \(path)")
            }
            switch source.st_mode & S_IFMT {
            case S_IFREG:
                #expect(copy.st_size == source.st_size && contents("\(root)/\(path)") == contents("\(tree)/\(path)"), "data of \(path)")
            case S_IFLNK:
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/\(path)")
                    == FileManager.default.destinationOfSymbolicLink(atPath: "\(tree)/\(path)"))
            case S_IFCHR, S_IFBLK:
                #expect(copy.st_rdev == source.st_rdev, "device of \(path)")
            default:
                break
            }
        }
        let hard = try #require(status("\(root)/deep/hard"))
        #expect(hard.st_ino == status("\(root)/\(Self.longFile)")?.st_ino && hard.st_nlink == 2)
        if isPax {
            #expect(xattr("\(root)/bin/su", "user.note") == Array("n".utf8))
            #expect(xattr("\(tree)/bin/su", "trusted.berth") == [0, 1, 2, 10])
            #expect(xattr("\(root)/bin/su", "trusted.berth") == [0, 1, 2, 10])
        }
    }

    @Test(arguments: [(["--format=gnu"], "GNU sparse files are not supported"),
                      (["--format=posix"], "GNU sparse files are not supported (pax record GNU.sparse.")])
    func sparseFilesFromGNUTarAreRefused(_ options: [String], _ message: String) throws {
        let work = try TestDirectory()
        let tree = work.file("tree")
        #expect(mkdir(tree, 0o755) == 0)
        let fd = open("\(tree)/holes", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        #expect(pwrite(fd, "end", 3, 8 << 20) == 3, "8 MiB of hole, then data")
        close(fd)
        let blob = work.file("layer")
        try run("/bin/tar", options + ["--sparse", "-cf", blob, "-C", tree, "holes"])
        #expect(mkdir(work.file("root"), 0o700) == 0)
        let error = #expect(throws: BerthError.self) {
            try LayerUnpacker.unpack(blob: blob, into: work.file("root"), cancel: CancellationFlag())
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }
}
