import Testing
import Foundation
@testable import BerthBase

@Test func sha256OfEmptyInput() {
    #expect(SHA256Hasher.digest([UInt8]()).description == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
}

@Test(arguments: ["sha256", "md5:abc", "sha256:XYZ", "sha512:" + String(repeating: "a", count: 128), "sha256:" + String(repeating: "A", count: 64)])
func malformedDigestsAreRefused(text: String) {
    #expect(throws: BerthError.self) { try Digest(parsing: text) }
}

@Test func digestRoundTripsThroughJSON() throws {
    let digest = SHA256Hasher.digest(Array("abc".utf8))
    #expect(digest.description == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(try Digest(parsing: digest.description) == digest)
}

@Test func atomicWriteReplacesWholeFile() throws {
    let directory = NSTemporaryDirectory() + "berth-fs-\(UInt32.random(in: 0 ... .max))"
    try FileSystem.makeDirectory(directory)
    defer { try? FileSystem.removeTree(directory) }
    try FileSystem.atomicWrite(Array("one".utf8), to: directory + "/f")
    try FileSystem.atomicWrite(Array("two".utf8), to: directory + "/f")
    #expect(try FileSystem.read(directory + "/f") == Array("two".utf8))
    #expect(FileSystem.list(directory) == ["f"])
}
