import BerthBase
import Foundation
import Testing
import TestSupport
@testable import Guest

@Test func cacheKeyFollowsContentNotPathOrOrderlessConcatenation() throws {
    let directory = try TestDirectory(prefix: "berth-cachekey")
    try FileSystem.atomicWrite(Array("same".utf8), to: directory.file("one"))
    try FileSystem.atomicWrite(Array("same".utf8), to: directory.file("two"))
    try FileSystem.atomicWrite(Array("other".utf8), to: directory.file("three"))
    func key(_ path: String, label: String = "f", extra: String = "x") throws -> String {
        let key = CacheKey("test")
        key.add("extra", extra)
        try key.addFile(label, path: path)
        return key.finish()
    }
    #expect(try key(directory.file("one")) == key(directory.file("two")))
    #expect(try key(directory.file("one")) != key(directory.file("three")))
    #expect(try key(directory.file("one"), label: "g") != key(directory.file("one")))
    // Lengths are part of the key: ("ab", "c") and ("a", "bc") differ.
    let first = CacheKey("t")
    first.add("ab", "c")
    let second = CacheKey("t")
    second.add("a", "bc")
    #expect(first.finish() != second.finish())
    #expect(throws: BerthError.self) { try key(directory.file("missing")) }
}

@Test func lddOutputGivesLibraryPaths() throws {
    let output = """
        \tlinux-vdso.so.1 (0x00007ffd)
        \tlibcap.so.2 => /lib/x86_64-linux-gnu/libcap.so.2 (0x00007f88)
        \tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x00007f8a)
        \t/lib64/ld-linux-x86-64.so.2 (0x00007f88)
        """
    #expect(try SharedLibraries.parse(lddOutput: output, program: "p") == [
        "/lib/x86_64-linux-gnu/libcap.so.2", "/opt/swift/usr/lib/swift/linux/libswiftCore.so", "/lib64/ld-linux-x86-64.so.2",
    ])
    #expect(try SharedLibraries.parse(lddOutput: "\tstatically linked\n", program: "p") == [])
    #expect(throws: BerthError.self) { try SharedLibraries.parse(lddOutput: "\tlibgone.so.1 => not found\n", program: "p") }
}

@Test func kernelPackageResolvesFromAptOutput() {
    let depends = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n"
    #expect(KernelPackage.imagePackage(fromDepends: depends) == "linux-image-6.1.0-56-cloud-amd64")
    #expect(KernelPackage.imagePackage(fromDepends: "x\n  Depends: initramfs-tools\n") == nil)
    #expect(KernelPackage.version(fromShow: "Package: p\nVersion: 6.1.192-2\nArchitecture: amd64\n") == "6.1.192-2")
}

@Test func controlFramesRoundTrip() throws {
    for frame in [ControlFrame.ready("3.14"), .output("PASS a/b"), .output(""), .exit(137), .run("sh -c 'x y'"), .powerOff] {
        let bytes = try frame.encoded()
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(try ControlFrame(line: String(decoding: bytes.dropLast(), as: UTF8.self)) == frame)
    }
    #expect(throws: BerthError.self) { try ControlFrame.run("a\nb").encoded() }
    #expect(throws: BerthError.self) { try ControlFrame(line: "EXIT x") }
    #expect(throws: BerthError.self) { try ControlFrame(line: "HELLO") }
}

@Test func lineBufferKeepsPartialLines() {
    var buffer = LineBuffer()
    #expect(buffer.append(Array("OUT a\nOUT".utf8)) == ["OUT a"])
    #expect(buffer.append(Array(" b\r\nEXIT 0\n".utf8)) == ["OUT b", "EXIT 0"])
    #expect(buffer.append([]) == [])
}

@Test func qemuArgumentsHaveNoNetworkAndTheControlPort() {
    let image = GuestImage(kernel: "/k", initramfs: "/i", systemDisk: "/d", commandLine: ["rdinit=/init"])
    let arguments = MachineConfiguration(image: image, accelerator: .tcg).qemuArguments(serialLog: "/s", controlSocket: "/c")
    #expect(arguments.contains("-nodefaults"))
    #expect(!arguments.contains { $0.contains("netdev") || $0.hasPrefix("-nic") })
    #expect(arguments.contains("socket,id=control,path=/c"))
    #expect(arguments.contains("virtserialport,chardev=control,name=\(GuestScripts.controlPortName)"))
    #expect(arguments.contains("tcg,thread=multi"))
    let append = arguments[arguments.firstIndex(of: "-append")! + 1]
    #expect(append.hasPrefix("console=ttyS0 "))
    #expect(append.contains("rdinit=/init"))
}

@Test func commandEnforcesItsDeadline() throws {
    let start = ContinuousClock.now
    #expect(throws: BerthError.self) { try Command.run("/bin/sleep", ["30"], deadline: .milliseconds(300)) }
    #expect(ContinuousClock.now - start < .seconds(5))
    let result = try Command.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], deadline: .seconds(10))
    #expect(result.status == 3 && result.stdoutText == "out\n" && result.stderrText == "err\n")
}
