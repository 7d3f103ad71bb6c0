import BerthBase
import Foundation
import Testing
import TestSupport
@testable import Guest

/// The writer's output, read back by GNU cpio: names, types, modes, contents and link targets.
@Test func cpioArchiveListsAndExtractsWithGNUCpio() throws {
    guard FileSystem.exists("/usr/bin/cpio") else { return }
    let directory = try TestDirectory(prefix: "berth-cpio")
    let payload = (0..<1001).map { UInt8($0 % 251) }
    let entries: [CpioEntry] = [
        .directory("bin"),
        .executable("bin/tool", Array("#!/bin/sh\necho hi\n".utf8)),
        .symlink("bin/sh", to: "tool"),
        CpioEntry("data", .file(payload)),
        CpioEntry("empty", .file([])),
        .directory("a/b"),
        CpioEntry("a/b/odd name", .file(Array("x".utf8)), permissions: 0o600),
    ]
    let archive = directory.file("out.cpio")
    try FileSystem.atomicWrite(CpioWriter.archive(entries), to: archive)

    let listing = try Command.check("/bin/sh", ["-c", "cpio -t --quiet < \"$1\"", "sh", archive], deadline: .seconds(30))
    #expect(listing.stdoutText.split(separator: "\n").map(String.init) == entries.map(\.path))

    let extracted = directory.file("x")
    try FileSystem.makeDirectory(extracted)
    try Command.check("/bin/sh", ["-c", "cd \"$1\" && cpio -i -d --quiet < \"$2\"", "sh", extracted, archive], deadline: .seconds(30))
    #expect(try FileSystem.read(extracted + "/data") == payload)
    #expect(try FileSystem.read(extracted + "/empty") == [])
    #expect(try FileSystem.read(extracted + "/a/b/odd name") == Array("x".utf8))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: extracted + "/bin/sh") == "tool")
    let attributes = try FileManager.default.attributesOfItem(atPath: extracted + "/bin/tool")
    #expect((attributes[.posixPermissions] as? Int) == 0o755)
    let secret = try FileManager.default.attributesOfItem(atPath: extracted + "/a/b/odd name")
    #expect((secret[.posixPermissions] as? Int) == 0o600)
}

/// The exact bytes of a one-file archive: header fields in hex, name and data padded to four.
@Test func cpioHeaderBytesAreExact() {
    let bytes = CpioWriter.archive([CpioEntry("ab", .file(Array("xyz".utf8)))])
    let text = String(decoding: bytes, as: UTF8.self)
    let header = "070701" + "00000001" + "000081A4" + "00000000" + "00000000" + "00000001" + "00000000" + "00000003"
        + "00000000" + "00000000" + "00000000" + "00000000" + "00000003" + "00000000"
    // 110 header bytes + "ab\0" = 113, padded to 116; 3 data bytes padded to 4.
    #expect(text.hasPrefix(header + "ab\0" + "\0\0\0" + "xyz\0"))
    #expect(bytes.count % 4 == 0)
    #expect(text.contains("TRAILER!!!"))
    // Same entries, same bytes: the archive is cached by its inputs.
    #expect(CpioWriter.archive([CpioEntry("ab", .file(Array("xyz".utf8)))]) == bytes)
}

@Test func cpioDeviceNodeCarriesItsNumbers() {
    let text = String(decoding: CpioWriter.archive([CpioEntry("dev/console", .characterDevice(major: 5, minor: 1))]), as: UTF8.self)
    #expect(text.hasPrefix("070701" + "00000001" + "00002180"))
    #expect(text.contains("00000005" + "00000001" + "0000000C"))
}
