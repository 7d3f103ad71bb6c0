#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import TestSupport
import Testing
@testable import Unpack

/// The tar reader on its own, against libarchive's writer and hand-made headers.
struct TarReaderTests {
    private func written(_ entries: [TarEntry], format: TarFormat = .pax, compression: TarCompression = .none) throws -> [UInt8] {
        let work = try TestDirectory()
        let path = work.file("layer")
        try TarBuilder.write(entries, to: path, format: format, compression: compression)
        return try #require(contents(path))
    }

    // MARK: Names

    @Test(arguments: [TarFormat.pax, .gnu])
    func longPathsAndLinkTargets(_ format: TarFormat) throws {
        let directory = String(repeating: "d", count: 120)
        let long = "\(directory)/\(String(repeating: "n", count: 130))"
        let target = "/" + Array(repeating: "target", count: 40).joined(separator: "/")
        let entries = try readEntries(try written([
            .file(long, "long"), .symlink("short", to: target), .hardlink("\(directory)/link", to: long),
        ], format: format))
        #expect(entries.map(\.entry.path) == [long, "short", "\(directory)/link"])
        #expect(entries[0].data == Array("long".utf8))
        #expect(entries[1].entry.kind == .symlink && entries[1].entry.linkTarget == target)
        #expect(entries[2].entry.kind == .hardLink && entries[2].entry.linkTarget == long)
    }

    @Test func ustarPrefixJoinsTheName() throws {
        let path = "\(String(repeating: "p", count: 90))/\(String(repeating: "q", count: 60))/file"
        let entries = try readEntries(try written([.file(path, "x")], format: .ustar))
        #expect(entries.map(\.entry.path) == [path])
    }

    @Test func gnuLongNameIsCutAtItsNUL() throws {
        let name = Array("gnu/long/name".utf8) + [0]
        let bytes = RawHeader(name: "././@LongLink", type: UInt8(ascii: "L"), size: name.count, magic: Array("ustar  \u{0}".utf8)).bytes
            + RawTarStream.padded(name) + RawTarStream.file("short", Array("data".utf8)) + RawTarStream.end
        let entries = try readEntries(bytes)
        #expect(entries.map(\.entry.path) == ["gnu/long/name"])
        #expect(entries.first?.data == Array("data".utf8))
    }

    @Test func paxNameWithNULIsRefused() throws {
        let bytes = RawTarStream.pax([("path", Array("../x".utf8) + [0] + Array("ok".utf8))]) + RawTarStream.file("f", []) + RawTarStream.end
        let error = readError(bytes)
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains("pax record path holds a NUL byte") == true, "\(String(describing: error))")
    }

    // MARK: Numbers and times

    @Test func base256NumbersAndOwners() throws {
        let bytes = RawTarStream.file("big-owner", Array("hello".utf8)) { header in
            header.overrides = [
                (108, [0x80, 0, 0, 0, 0xee, 0x6b, 0x28, 0x00]),  // uid 4_000_000_000
                (116, [0x80, 0, 0, 0, 0, 0x2d, 0xc6, 0xc0]),  // gid 3_000_000
                (124, [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]),  // size 5
                (136, [UInt8](repeating: 0xff, count: 12)),  // mtime -1
            ]
        } + RawTarStream.end
        let entries = try readEntries(bytes)
        let entry = try #require(entries.first?.entry)
        #expect(entry.uid == 4_000_000_000 && entry.gid == 3_000_000)
        #expect(entry.size == 5 && entries.first?.data == Array("hello".utf8))
        #expect(entry.mtime == LayerEntry.Time(seconds: -1, nanoseconds: 0))
    }

    @Test func gnuTarLargeOwnerIsBase256() throws {
        // libarchive's GNU writer stores ids past 0o7777777 in base-256.
        let entries = try readEntries(try written([TarEntry(path: "f", uid: 3_000_000, gid: 70_000_000, data: [1])], format: .gnu))
        #expect(entries.first?.entry.uid == 3_000_000 && entries.first?.entry.gid == 70_000_000)
    }

    @Test func ownerOutOfRangeIsRefused() throws {
        let bytes = RawTarStream.file("f", []) { $0.overrides = [(108, [0x80, 0, 0, 1, 0, 0, 0, 0])] } + RawTarStream.end
        #expect(readError(bytes)?.message == "layer entry \"f\": uid 4294967296 out of range")
    }

    @Test func fractionalAndNegativePaxTimes() throws {
        let bytes = RawTarStream.pax([("mtime", "1690000000.123456789"), ("atime", "-1.25")]) + RawTarStream.file("a", [])
            + RawTarStream.pax([("mtime", "1.1234567891")]) + RawTarStream.file("b", [])
            + RawTarStream.pax([("mtime", "-7")]) + RawTarStream.file("c", []) + RawTarStream.end
        let entries = try readEntries(bytes).map(\.entry)
        #expect(entries[0].mtime == LayerEntry.Time(seconds: 1_690_000_000, nanoseconds: 123_456_789))
        #expect(entries[0].atime == LayerEntry.Time(seconds: -2, nanoseconds: 750_000_000))
        #expect(entries[1].mtime == LayerEntry.Time(seconds: 1, nanoseconds: 123_456_789) && entries[1].atime == nil)
        #expect(entries[2].mtime == LayerEntry.Time(seconds: -7, nanoseconds: 0))
    }

    @Test func libarchiveFractionalMtime() throws {
        // Restricted pax writes a pax header (and the fraction) only when it needs one.
        let entries = try readEntries(try written([TarEntry(path: "f", mtime: (1_600_000_000, 5), xattrs: [("user.a", [1])])]))
        #expect(entries.first?.entry.mtime == LayerEntry.Time(seconds: 1_600_000_000, nanoseconds: 5))
    }

    @Test func malformedPaxTimeIsRefused() throws {
        let bytes = RawTarStream.pax([("mtime", "12x")]) + RawTarStream.file("f", []) + RawTarStream.end
        #expect(readError(bytes)?.message.hasSuffix("pax record mtime=12x is not a time") == true)
    }

    // MARK: Pax records

    @Test func schilyXattrsKeepBinaryValues() throws {
        let binary: [UInt8] = [0, 10, 0xff, UInt8(ascii: "="), 10]
        let bytes = RawTarStream.pax([
            ("SCHILY.xattr.user.binary", binary), ("SCHILY.xattr.security.capability", [1, 0, 0, 2]),
            ("SCHILY.xattr.user.empty", []), ("uname", Array("alice".utf8)), ("gname", Array("staff".utf8)),
        ]) + RawTarStream.file("f", []) + RawTarStream.end
        let entry = try #require(try readEntries(bytes).first?.entry)
        #expect(entry.xattrs == [
            LayerEntry.Xattr(name: "user.binary", value: binary), LayerEntry.Xattr(name: "security.capability", value: [1, 0, 0, 2]),
            LayerEntry.Xattr(name: "user.empty", value: []),
        ])
        #expect(entry.userName == "alice" && entry.groupName == "staff")
    }

    @Test func libarchiveXattrsAreDecoded() throws {
        // Name URL-encoded, value base64 without padding, as libarchive writes them; the
        // SCHILY copy of the same xattr gives way to it.
        let bytes = RawTarStream.pax([
            ("LIBARCHIVE.xattr.user.a%3Db", Array("AAr/PQ".utf8)), ("SCHILY.xattr.user.a", Array("b=junk".utf8)),
            ("LIBARCHIVE.xattr.user.n", Array("aGk=".utf8)), ("SCHILY.xattr.user.n", Array("hi".utf8)),
        ]) + RawTarStream.file("f", []) + RawTarStream.end
        let entry = try #require(try readEntries(bytes).first?.entry)
        #expect(entry.xattrs.first { $0.name == "user.a=b" }?.value == [0, 10, 0xff, 0x3d])
        #expect(entry.xattrs.first { $0.name == "user.n" }?.value == Array("hi".utf8))
    }

    @Test func xattrsFromLibarchiveWriter() throws {
        let value: [UInt8] = [0, 1, 2, 10, 13, 0xff]
        let entries = try readEntries(try written([TarEntry(path: "f", xattrs: [("trusted.x", value), ("user.y", Array("z".utf8))])]))
        let xattrs = try #require(entries.first?.entry.xattrs).sorted { $0.name < $1.name }
        #expect(xattrs == [LayerEntry.Xattr(name: "trusted.x", value: value), LayerEntry.Xattr(name: "user.y", value: Array("z".utf8))])
    }

    /// Global headers are skipped, as containerd and Docker skip them; local ones last one entry.
    @Test func globalHeadersAreIgnored() throws {
        let bytes = RawTarStream.pax([("uid", "42"), ("gid", "43"), ("mtime", "1000.5"), ("SCHILY.xattr.user.g", "v"), ("path", "ignored")],
                                     type: UInt8(ascii: "g"))
            + RawTarStream.file("a", Array("a".utf8))
            + RawTarStream.pax([("uid", "7"), ("SCHILY.xattr.user.l", "w")]) + RawTarStream.file("b", [])
            + RawTarStream.file("c", [])
            + RawTarStream.end
        let entries = try readEntries(bytes).map(\.entry)
        #expect(entries.map(\.path) == ["a", "b", "c"])
        #expect(entries[0].uid != 42 && entries[0].gid != 43 && entries[0].xattrs.isEmpty)
        #expect(entries[1].uid == 7 && entries[1].xattrs.map(\.name) == ["user.l"])
        #expect(entries[2].uid != 7 && entries[2].xattrs.isEmpty, "a local header lasts one entry")
    }

    @Test func paxSizeOverridesTheHeader() throws {
        let data = Array(repeating: UInt8(ascii: "s"), count: 700)
        let bytes = RawTarStream.pax([("size", "700")]) + RawHeader(name: "sized", size: 0).bytes + RawTarStream.padded(data)
            + RawTarStream.file("next", []) + RawTarStream.end
        let entries = try readEntries(bytes)
        #expect(entries.map(\.entry.path) == ["sized", "next"])
        #expect(entries.first?.data == data)
    }

    @Test(arguments: [
        ("8 path=a\n", "does not end it at a newline"),
        ("x path=a\n", "does not start with its length"),
        ("7 path\n", "has no KEY=VALUE"),
        ("99999 path=a\n", "is longer than its header"),
        ("9 uid=-1\n", "is not a number"),
    ])
    func malformedPaxRecordIsRefused(_ body: String, _ problem: String) throws {
        let bytes = RawHeader(name: "PaxHeaders/f", type: UInt8(ascii: "x"), size: body.utf8.count).bytes
            + RawTarStream.padded(Array(body.utf8)) + RawTarStream.file("f", []) + RawTarStream.end
        let error = readError(bytes)
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
        #expect(error?.message.hasPrefix("unpack ") == true && error?.message.contains("tar header at byte 0") == true)
    }

    @Test func oversizedExtensionHeadersAreRefused() throws {
        let pax = RawHeader(name: "PaxHeaders/f", type: UInt8(ascii: "x"), size: 2 << 20).bytes + RawTarStream.end
        #expect(readError(pax)?.message.hasSuffix("pax header of 2097152 bytes, more than the 1048576 allowed") == true)
        let global = RawHeader(name: "g", type: UInt8(ascii: "g"), size: (1 << 20) + 1).bytes + RawTarStream.end
        #expect(readError(global)?.message.hasSuffix("global pax header of 1048577 bytes, more than the 1048576 allowed") == true)
        let longName = RawHeader(name: "././@LongLink", type: UInt8(ascii: "L"), size: 65537).bytes + RawTarStream.end
        #expect(readError(longName)?.message.hasSuffix("GNU long name of 65537 bytes, more than the 65536 allowed") == true)
        // A negative base-256 size must not pass as a small one (and then be allocated).
        var negative = RawHeader(name: "PaxHeaders/f", type: UInt8(ascii: "x"), size: 0)
        negative.overrides = [(124, [UInt8](repeating: 0xff, count: 12))]
        #expect(readError(negative.bytes + RawTarStream.end)?.message.hasSuffix("header field size is negative (-1)") == true)
    }

    @Test func xattrBoundsAreEnforced() throws {
        let many = (0 ... PaxRecords.maxXattrs).map { ("SCHILY.xattr.user.x\($0)", "v") }
        let tooMany = RawTarStream.pax(many) + RawTarStream.file("f", []) + RawTarStream.end
        #expect(readError(tooMany)?.message.hasSuffix("more than 1024 xattrs") == true)
        let big = RawTarStream.pax([("SCHILY.xattr.user.big", [UInt8](repeating: 1, count: 65537))]) + RawTarStream.file("f", []) + RawTarStream.end
        #expect(readError(big)?.message.hasSuffix("xattr user.big has 65537 bytes, more than the 65536 allowed") == true)
    }

    // MARK: Entry types

    @Test func everyEntryType() throws {
        func node(_ name: String, _ type: Character, size: Int = 0, link: String = "") -> [UInt8] {
            var header = RawHeader(name: name, type: UInt8(ascii: type.unicodeScalars.first ?? "0"), size: size, linkName: link)
            header.overrides = [(329, Array("0000010\0".utf8)), (337, Array("0000003\0".utf8))]
            return header.bytes
        }
        let bytes = node("file", "0", size: 3) + RawTarStream.padded(Array("abc".utf8))
            + node("hard", "1", link: "file") + node("sym", "2", link: "file") + node("chr", "3") + node("blk", "4")
            + node("dir", "5") + node("fifo", "6") + node("contiguous", "7", size: 1) + RawTarStream.padded([7])
            + RawHeader(name: "v7dir/", type: 0, magic: []).bytes + RawHeader(name: "v7file", type: 0, size: 1, magic: []).bytes
            + RawTarStream.padded([9]) + RawTarStream.end
        let entries = try readEntries(bytes)
        #expect(entries.map(\.entry.kind) == [.regular, .hardLink, .symlink, .characterDevice, .blockDevice, .directory, .fifo, .regular, .directory, .regular])
        #expect(entries.map(\.data) == [Array("abc".utf8), [], [], [], [], [], [], [7], [], [9]])
        let chr = entries[3].entry
        #expect(chr.deviceMajor == 8 && chr.deviceMinor == 3)
        #expect(entries[1].entry.linkTarget == "file" && entries[2].entry.linkTarget == "file")
        #expect(entries[0].entry.linkTarget.isEmpty, "only links have targets")
    }

    @Test func headerOnlyTypesCarryNoData() throws {
        // Their size field is ignored, as containerd's reader does: the next header follows.
        let bytes = RawHeader(name: "sym", type: UInt8(ascii: "2"), size: 5, linkName: "t").bytes
            + RawHeader(name: "dir", type: UInt8(ascii: "5"), size: 1024).bytes + RawTarStream.file("f", [1]) + RawTarStream.end
        #expect(try readEntries(bytes).map(\.entry.path) == ["sym", "dir", "f"])
    }

    @Test func unknownTypeIsRefusedByName() throws {
        let bytes = RawHeader(name: "label", type: UInt8(ascii: "V")).bytes + RawTarStream.end
        let error = readError(bytes)
        #expect(error?.message == "layer entry \"label\": unsupported entry type 'V'")
        #expect(error?.code == .invalidArgument)
    }

    @Test func sparseFilesAreRefused() throws {
        let gnu = RawHeader(name: "holes", type: UInt8(ascii: "S"), magic: Array("ustar  \u{0}".utf8)).bytes + RawTarStream.end
        #expect(readError(gnu)?.message == "layer entry \"holes\": GNU sparse files are not supported")
        let pax = RawTarStream.pax([("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0")]) + RawTarStream.file("f", []) + RawTarStream.end
        let error = readError(pax)
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasSuffix("GNU sparse files are not supported (pax record GNU.sparse.major)") == true)
    }

    // MARK: Framing

    @Test func badChecksumIsRefused() throws {
        var bytes = RawTarStream.file("first", [1]) + RawTarStream.file("second", [2]) + RawTarStream.end
        bytes[1024 + 100] = UInt8(ascii: "7")
        let error = readError(bytes)
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains("tar header at byte 1024 (after entry \"first\"): header checksum mismatch") == true, "\(String(describing: error))")
    }

    @Test func signedChecksumIsAccepted() throws {
        var header = RawHeader(name: "caf\u{e9}").bytes
        let signed = header.enumerated().reduce(0) { sum, item in
            sum + ((148 ..< 156).contains(item.offset) ? 32 : Int(Int8(bitPattern: item.element)))
        }
        let digits = Array(String(signed, radix: 8).utf8)
        for index in 148 ..< 156 { header[index] = index - 148 < digits.count ? digits[index - 148] : 0 }
        #expect(try readEntries(header + RawTarStream.end).map(\.entry.path) == ["caf\u{e9}"])
    }

    @Test func garbageIsNotATar() throws {
        let error = readError(Array("this is not a tar archive, only text.".utf8) + [UInt8](repeating: 65, count: 600))
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains("not a tar header") == true, "\(String(describing: error))")
    }

    @Test func truncatedEntryNamesItsSizes() throws {
        let bytes = RawTarStream.file("t", [UInt8](repeating: 1, count: 1000)).prefix(512 + 300)
        #expect(readError(Array(bytes))?.message == "layer entry \"t\": read data: declares 1000 bytes, the layer ends after 300")
    }

    @Test func truncatedHeaderIsRefused() throws {
        let bytes = RawTarStream.file("a", [1]) + RawHeader(name: "b").bytes.prefix(200)
        #expect(readError(bytes)?.message.hasSuffix("tar header at byte 1024 (after entry \"a\"): the layer ends inside a tar header") == true)
    }

    @Test func extensionWithoutEntryIsRefused() throws {
        let bytes = RawTarStream.pax([("path", "x")])
        #expect(readError(bytes)?.message.hasSuffix("the layer ends after an extension header, before its entry") == true)
    }

    @Test func endMarkers() throws {
        let one = RawTarStream.file("a", [1])
        #expect(try readEntries(one + RawTarStream.end).count == 1)
        #expect(try readEntries(one + [UInt8](repeating: 0, count: 512)).count == 1, "one zero block, then the end")
        #expect(try readEntries(one).count == 1, "no end marker")
        #expect(try readEntries(one + RawTarStream.end + Array("trailing".utf8)).count == 1, "after the marker, only hashed")
    }

    // MARK: Compression

    @Test(arguments: [16, 100, 513], [1, 7, 512, 1000])
    func smallBlocksSplitHeadersAndData(inputSize: Int, outputSize: Int) throws {
        let entries: [TarEntry] = [
            .file(String(repeating: "l", count: 150), "long name"), TarEntry(path: "x", mtime: (1, 1), xattrs: [("user.a", [1, 2])]),
            TarEntry(path: "data", data: (0 ..< 3000).map { UInt8(truncatingIfNeeded: $0 &* 31) }), .symlink("s", to: "data"),
        ]
        for compression in TarCompression.allCases {
            let work = try TestDirectory()
            let path = work.file("layer")
            try TarBuilder.write(entries, to: path, compression: compression)
            let read = try readEntries(at: path, inputSize: inputSize, outputSize: outputSize)
            #expect(read.map(\.entry.path) == entries.map(\.path), "\(compression)")
            #expect(read.map(\.data) == entries.map(\.data), "\(compression)")
            #expect(read[1].entry.xattrs == [LayerEntry.Xattr(name: "user.a", value: [1, 2])])
        }
    }

    /// A tar of a few entries cut in three pieces, each compressed on its own.
    private func piecewise(_ filter: Compress.Filter) throws -> (tar: [UInt8], blob: [UInt8]) {
        let tar = try written([.file("a", "first"), TarEntry(path: "b", data: (0 ..< 5000).map { UInt8($0 % 200) }), .file("c", "last")])
        let cuts = [0, 700, 3000, tar.count]
        var blob: [UInt8] = []
        for index in 0 ..< 3 { blob += try Compress.bytes(Array(tar[cuts[index] ..< cuts[index + 1]]), filter) }
        return (tar, blob)
    }

    @Test func multiMemberGzip() throws {
        let (tar, blob) = try piecewise(.gzip)
        let entries = try readEntries(blob)
        #expect(entries.map(\.entry.path) == ["a", "b", "c"])
        #expect(entries[1].data == (0 ..< 5000).map { UInt8($0 % 200) })
        let work = try TestDirectory()
        #expect(FileManager.default.createFile(atPath: work.file("blob"), contents: Data(blob + [0, 0, 0, 0])))
        #expect(mkdir(work.file("root"), 0o700) == 0)
        let result = try LayerUnpacker.unpack(blob: work.file("blob"), into: work.file("root"), cancel: CancellationFlag())
        #expect(result.diffID == SHA256Hasher.digest(tar), "zeros after the last member are ignored")
        #expect(contents(work.file("root/c")) == Array("last".utf8))
    }

    @Test func multiFrameZstd() throws {
        let (tar, blob) = try piecewise(.zstd)
        #expect(try readEntries(blob).map(\.entry.path) == ["a", "b", "c"])
        let work = try TestDirectory()
        #expect(FileManager.default.createFile(atPath: work.file("blob"), contents: Data(blob)))
        #expect(mkdir(work.file("root"), 0o700) == 0)
        let result = try LayerUnpacker.unpack(blob: work.file("blob"), into: work.file("root"), cancel: CancellationFlag())
        #expect(result.diffID == SHA256Hasher.digest(tar) && result.uncompressedSize == Int64(tar.count))
    }

    @Test(arguments: TarCompression.allCases)
    func streamEndingInTheLastFewBytesOfABlock(_ compression: TarCompression) throws {
        // The last read holds only the end of the gzip trailer or zstd frame: a step that
        // takes input and gives nothing must not pass for a stalled decoder.
        let work = try TestDirectory()
        let path = work.file("layer")
        try TarBuilder.write([.file("a", "a"), .file("b", String(repeating: "b", count: 5000))], to: path, compression: compression)
        let size = try #require(contents(path)).count
        for tail in 1 ... 9 {
            let read = try readEntries(at: path, inputSize: size - tail, outputSize: 512)
            #expect(read.map(\.entry.path) == ["a", "b"], "\(compression), last read of \(tail) bytes")
        }
    }

    @Test func plainTar() throws {
        let entries = try readEntries(try written([.directory("d"), .file("d/f", "plain")], compression: .none))
        #expect(entries.map(\.entry.path) == ["d/", "d/f"])
        #expect(entries.map(\.entry.kind) == [.directory, .regular])
    }

    @Test(arguments: [(Compress.Filter.xz, "xz"), (.bzip2, "bzip2")])
    func unsupportedCompressionIsRefusedByName(_ filter: Compress.Filter, _ name: String) throws {
        let blob = try Compress.bytes(try written([.file("f", "x")]), filter)
        let error = readError(blob)
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasSuffix(": the layer is \(name)-compressed; only gzip, zstd and uncompressed layers are supported") == true,
                "\(String(describing: error))")
    }

    @Test(arguments: [TarCompression.gzip, .zstd])
    func truncatedOrCorruptCompressionIsDataLoss(_ compression: TarCompression) throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0 ..< 200_000).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let blob = try written([TarEntry(path: "noise", data: noise)], compression: compression)
        let truncated = readError(Array(blob.prefix(blob.count / 2)))
        #expect(truncated?.code == .dataLoss)
        #expect(truncated?.message.contains(": decompress: \(compression == .gzip ? "gzip" : "zstd"): the data ends inside") == true,
                "\(String(describing: truncated))")
        let text = try written([.file("text", String(repeating: "compressible text ", count: 1000))], compression: compression)
        var corrupt = text
        for index in 12 ..< 40 { corrupt[index] = 0xff }
        let error = readError(corrupt)
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains("corrupt data") == true, "\(String(describing: error))")
    }
}
