import BerthBase
import Foundation
import Glibc

/// Chooses between KVM and TCG by booting the trivial guest with KVM under a deadline: a
/// `/dev/kvm` that opens is not enough (nested KVM can open and then spin forever).
public enum AcceleratorProbe {
    public struct Verdict: Sendable {
        public var accelerator: Accelerator
        public var reason: String
    }

    /// Probes, or reuses a verdict cached in `cache` for this host boot, this QEMU and this
    /// kernel (a verdict holds until one of them changes).
    public static func choose(probeImage: GuestImage, cache: String, deadline: Duration = .seconds(10)) throws(BerthError) -> Verdict {
        let kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard kvm >= 0 else {
            return Verdict(accelerator: .tcg, reason: "/dev/kvm: \(FileSystem.errnoText())")
        }
        close(kvm)
        let key = CacheKey("accelerator-verdict")
        key.add("boot", String(decoding: (try FileSystem.read("/proc/sys/kernel/random/boot_id")) ?? [], as: UTF8.self))
        key.add("deadline", "\(deadline)")
        try key.addFile("qemu", path: MachineConfiguration(image: probeImage, accelerator: .kvm).qemu)
        try key.addFile("kernel", path: probeImage.kernel)
        try key.addFile("initramfs", path: probeImage.initramfs)
        let path = "\(cache)/accelerator/\(key.finish())"
        if let saved = try FileSystem.read(path) {
            let text = String(decoding: saved, as: UTF8.self)
            let accelerator = Accelerator(rawValue: String(text.prefix { $0 != " " })) ?? .tcg
            return Verdict(accelerator: accelerator, reason: String(text.drop { $0 != " " }.dropFirst()) + " (cached)")
        }
        let verdict = try probe(probeImage, deadline: deadline)
        try FileSystem.makeDirectory(cache + "/accelerator")
        try FileSystem.atomicWrite(Array("\(verdict.accelerator.rawValue) \(verdict.reason)".utf8), to: path, durable: false)
        return verdict
    }

    /// Boots the trivial guest with KVM and waits for its marker on the serial console.
    public static func probe(_ probeImage: GuestImage, deadline: Duration) throws(BerthError) -> Verdict {
        var configuration = MachineConfiguration(image: probeImage, accelerator: .kvm)
        configuration.cpus = 1
        configuration.memoryMiB = 256
        let start = ContinuousClock.now
        let machine = try GuestMachine(configuration)
        defer { machine.shutdown(grace: .zero) }
        if machine.waitForSerial(GuestScripts.probeMarker, deadline: deadline) {
            return Verdict(accelerator: .kvm, reason: "a KVM guest booted in \(seconds(ContinuousClock.now - start))")
        }
        return Verdict(accelerator: .tcg, reason: "a KVM guest did not reach user space within \(deadline)")
    }
}

/// A duration as seconds with two decimals, for reports.
public func seconds(_ duration: Duration) -> String {
    let (whole, fraction) = duration.components
    return String(format: "%.2fs", Double(whole) + Double(fraction) / 1e18)
}
