import BerthBase
import Foundation
import Glibc
import Testing
import TestSupport
@testable import Guest

/// Boots the trivial guest under TCG: the kernel reaches `/init` and powers off, QEMU exits on
/// its own, and nothing of the machine is left behind.
@Test(.timeLimit(.minutes(3)))
func trivialGuestBootsUnderTCG() throws {
    guard isRoot, FileSystem.exists("/usr/bin/qemu-system-x86_64"), FileSystem.exists("/usr/bin/apt-get") else {
        print("skipped: needs root, qemu-system-x86_64 and apt")
        return
    }
    let kernel = try KernelPackage.fetch(cache: ".build/guest")
    let image = try GuestBuilder(cache: ".build/guest", kernel: kernel).probeImage()
    var configuration = MachineConfiguration(image: image, accelerator: .tcg)
    configuration.cpus = 1
    configuration.memoryMiB = 256
    let machine = try GuestMachine(configuration)
    let booted = machine.waitForSerial(GuestScripts.probeMarker, deadline: .seconds(90))
    let status = machine.shutdown(grace: .seconds(20))
    #expect(booted, "serial console: \(machine.serialText().suffix(600))")
    #expect(status == 0, "qemu powered off by the guest exits 0")
    #expect(!FileSystem.exists(machine.serialLog))
}

/// A guest that never answers is killed at the deadline rather than waited on forever.
@Test(.timeLimit(.minutes(1)))
func waitingOnASilentGuestEndsAtTheDeadline() throws {
    guard isRoot, FileSystem.exists("/usr/bin/qemu-system-x86_64") else { return }
    let directory = try TestDirectory(prefix: "berth-guest-silent")
    // No kernel worth booting: QEMU starts and the firmware finds nothing; the control channel
    // still connects, and no READY ever comes.
    try FileSystem.atomicWrite([UInt8](repeating: 0, count: 4096), to: directory.file("kernel"))
    let image = GuestImage(kernel: "/dev/null", initramfs: "/dev/null", systemDisk: directory.file("kernel"), commandLine: [])
    var configuration = MachineConfiguration(image: image, accelerator: .tcg)
    configuration.memoryMiB = 64
    let start = ContinuousClock.now
    do {
        let machine = try GuestMachine(configuration)
        #expect(throws: BerthError.self) { try machine.waitReady(deadline: .seconds(2)) }
        machine.shutdown(grace: .zero)
        #expect(machine.exitStatus != nil)
    } catch {
        // QEMU may refuse the empty kernel outright: that, too, must end promptly.
    }
    #expect(ContinuousClock.now - start < .seconds(20))
}
