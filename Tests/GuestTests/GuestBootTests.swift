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

/// Waiting on a guest that never says READY ends at the deadline, and the machine is killed.
@Test(.timeLimit(.minutes(1)))
func waitingOnASilentGuestEndsAtTheDeadline() throws {
    guard isRoot, FileSystem.exists("/usr/bin/qemu-system-x86_64"), FileSystem.exists("/usr/bin/apt-get") else { return }
    let directory = try TestDirectory(prefix: "berth-guest-silent")
    try FileSystem.atomicWrite([UInt8](repeating: 0, count: 4096), to: directory.file("disk"))
    let kernel = try KernelPackage.fetch(cache: ".build/guest")
    // The trivial guest with a disk attached: the control channel connects, but its /init
    // has no agent, so no READY ever comes.
    var image = try GuestBuilder(cache: ".build/guest", kernel: kernel).probeImage()
    image.systemDisk = directory.file("disk")
    var configuration = MachineConfiguration(image: image, accelerator: .tcg)
    configuration.memoryMiB = 256
    let start = ContinuousClock.now
    let machine = try GuestMachine(configuration)
    do {
        _ = try machine.waitReady(deadline: .seconds(1))
        Issue.record("a guest without an agent said READY")
    } catch {
        #expect(error.code == .deadlineExceeded || error.code == .unavailable, "\(error)")
    }
    machine.shutdown(grace: .zero)
    #expect(machine.exitStatus != nil)
    #expect(ContinuousClock.now - start < .seconds(20))
}
