import ArgumentParser
import BerthBase
import Dispatch
import Foundation
import Glibc
import Guest

/// `berth-guest`: builds the QEMU guest Berth runs in (a Debian kernel, an initramfs, a system
/// disk with Berth's binaries), probes for a working KVM, boots the guest and runs commands in
/// it over its control channel.
@main
struct BerthGuest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth-guest",
        abstract: "Build, probe and boot the QEMU guest that runs Berth with cgroup v2 alone.",
        subcommands: [Build.self, Probe.self, Run.self, Bench.self]
    )
}

/// Options every subcommand shares: where the cache is and what goes into the guest.
struct GuestOptions: ParsableArguments {
    @Option(help: "Cache directory for the kernel, images and the KVM verdict.")
    var cache = ".build/guest"

    @Option(help: "Directory with berthd, berthctl, berth-conformance, berth-shim, berth-testimages (default: next to berth-guest).")
    var bin: String?

    @Option(help: "Directory of OCI layouts built by `berth-testimages build`.")
    var testimages: String?

    @Option(help: "Comma-separated test images to put in the guest.")
    var images = "probe,busybox"

    @Option(help: "Extra files for the guest, HOST:GUEST (repeatable).")
    var add: [String] = []

    @Option(help: "Accelerator: auto (probe KVM, else TCG), kvm or tcg.")
    var accel = "auto"

    @Option(help: "Seconds the KVM probe boot may take.")
    var probeTimeout = 10

    func validate() throws {
        guard ["auto", "kvm", "tcg"].contains(accel) else { throw ValidationError("--accel must be auto, kvm or tcg, not \(accel)") }
        guard (1...600).contains(probeTimeout) else { throw ValidationError("--probe-timeout must be 1 to 600 seconds, not \(probeTimeout)") }
        guard !cache.isEmpty else { throw ValidationError("--cache must name a directory") }
    }

    func binaries() -> String {
        if let bin { return bin }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }

    func builder() throws(BerthError) -> GuestBuilder {
        let kernel = try KernelPackage.fetch(cache: cache)
        return GuestBuilder(cache: cache, kernel: kernel)
    }

    func recipe() throws(BerthError) -> GuestRecipe {
        var layouts: [String: String] = [:]
        if let testimages {
            for name in images.split(separator: ",").map(String.init) where !name.isEmpty {
                let path = "\(testimages)/\(name)"
                guard FileSystem.isDirectory(path) else { throw BerthError(.notFound, "test image \(name): no layout at \(path)") }
                layouts[name] = path
            }
        }
        var extra: [(host: String, guest: String)] = []
        for pair in add {
            let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("/") else {
                throw BerthError(.invalidArgument, "--add \(pair): want HOST:GUEST with an absolute GUEST path")
            }
            extra.append((parts[0], parts[1]))
        }
        return .berth(binaries: binaries(), testImages: layouts, extra: extra)
    }

    func accelerator(_ builder: GuestBuilder) throws(BerthError) -> Accelerator {
        switch accel {
        case "kvm": return .kvm
        case "tcg": return .tcg
        case "auto":
            let verdict = try AcceleratorProbe.choose(probeImage: try builder.probeImage(), cache: cache, deadline: .seconds(probeTimeout))
            note("accelerator \(verdict.accelerator.rawValue): \(verdict.reason)")
            return verdict.accelerator
        default: throw BerthError(.invalidArgument, "--accel must be auto, kvm or tcg, not \(accel)")
        }
    }
}

/// Options for a booted machine.
struct MachineOptions: ParsableArguments {
    @Option(help: "Virtual CPUs.")
    var cpus = 2

    @Option(help: "Guest memory in MiB.")
    var memory = 1536

    @Option(help: "Write the serial console to this file (kept after the run).")
    var serialLog: String?

    @Option(help: "Extra kernel command line words (repeatable).")
    var cmdline: [String] = []

    func validate() throws {
        guard (1...64).contains(cpus) else { throw ValidationError("--cpus must be 1 to 64, not \(cpus)") }
        guard (256...65536).contains(memory) else { throw ValidationError("--memory must be 256 to 65536 MiB, not \(memory)") }
    }

    func configure(_ image: GuestImage, _ accelerator: Accelerator) -> MachineConfiguration {
        var configuration = MachineConfiguration(image: image, accelerator: accelerator)
        configuration.cpus = cpus
        configuration.memoryMiB = memory
        configuration.serialLog = serialLog
        configuration.commandLine = cmdline
        return configuration
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fetch the kernel and build the trivial and the Berth guest images.")

    @OptionGroup var guest: GuestOptions

    func run() throws {
        try reportingFailure { () throws(BerthError) in
            let start = ContinuousClock.now
            let builder = try guest.builder()
            let probe = try builder.probeImage()
            let image = try builder.systemImage(try guest.recipe())
            print("kernel \(image.kernel)")
            print("probe-initramfs \(probe.initramfs)")
            print("initramfs \(image.initramfs)")
            print("system-disk \(image.systemDisk ?? "-")")
            print("built in \(seconds(ContinuousClock.now - start))")
        }
    }
}

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Boot the trivial guest with KVM under a deadline; print kvm or tcg and why.")

    @OptionGroup var guest: GuestOptions

    @Flag(help: "Probe again even when a verdict for this host boot is cached.")
    var fresh = false

    func run() throws {
        try reportingFailure { () throws(BerthError) in
            let builder = try guest.builder()
            let image = try builder.probeImage()
            let verdict = fresh
                ? try AcceleratorProbe.probe(image, deadline: .seconds(guest.probeTimeout))
                : try AcceleratorProbe.choose(probeImage: image, cache: guest.cache, deadline: .seconds(guest.probeTimeout))
            print("\(verdict.accelerator.rawValue) \(verdict.reason)")
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot the Berth guest, run a shell command in it and exit with its status.",
        discussion: "The command's output lines are printed as the guest sends them. Every step has a deadline; QEMU is always killed at the end."
    )

    @OptionGroup var guest: GuestOptions
    @OptionGroup var machine: MachineOptions

    @Option(help: "Seconds the guest may take to boot to its agent.")
    var bootTimeout = 180

    @Option(help: "Seconds the command may take.")
    var timeout = 900

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (quoted for the guest's shell).")
    var command: [String]

    func validate() throws {
        guard bootTimeout > 0 else { throw ValidationError("--boot-timeout must be a positive number of seconds, not \(bootTimeout)") }
        guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds, not \(timeout)") }
        guard command.contains(where: { $0 != "--" }) else { throw ValidationError("no command to run in the guest") }
    }

    func run() throws {
        var status: Int32 = 0
        try reportingFailure { () throws(BerthError) in
            let builder = try guest.builder()
            let accelerator = try guest.accelerator(builder)
            let image = try builder.systemImage(try guest.recipe())
            let machine = try GuestMachine(self.machine.configure(image, accelerator))
            defer { machine.shutdown() }
            let uptime = try machine.waitReady(deadline: .seconds(bootTimeout))
            note("guest ready after \(seconds(ContinuousClock.now - machine.bootStarted)) (guest uptime \(uptime)s, \(accelerator.rawValue))")
            let words = command.first == "--" ? Array(command.dropFirst()) : command
            status = try machine.run(words.map(shellQuoted).joined(separator: " "), deadline: .seconds(timeout)) { line in
                print(line)
                fflush(nil)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time booting the trivial guest and the Berth guest to a ready berthd; print `name value unit` lines (medians)."
    )

    @OptionGroup var guest: GuestOptions
    @OptionGroup var machine: MachineOptions

    @Option(help: "Boots of each kind.")
    var runs = 3

    @Option(help: "Guest command that starts berthd and returns once it answers.")
    var start = "sh /berth/scripts/start-berthd.sh"

    func validate() throws {
        guard (1...100).contains(runs) else { throw ValidationError("--runs must be 1 to 100, not \(runs)") }
    }

    func run() throws {
        try reportingFailure { () throws(BerthError) in
            let builder = try guest.builder()
            let accelerator = try guest.accelerator(builder)
            let probe = try builder.probeImage()
            let image = try builder.systemImage(try guest.recipe())
            var trivial: [Double] = []
            var ready: [Double] = []
            for _ in 0..<max(1, runs) {
                let floor = try GuestMachine(machine.configure(probe, accelerator))
                guard floor.waitForSerial(GuestScripts.probeMarker, deadline: .seconds(120)) else {
                    floor.shutdown(grace: .zero)
                    throw BerthError(.deadlineExceeded, "trivial guest did not reach /init within 120s")
                }
                trivial.append(elapsed(since: floor.bootStarted))
                floor.shutdown(grace: .seconds(5))

                let berth = try GuestMachine(machine.configure(image, accelerator))
                defer { berth.shutdown() }
                _ = try berth.waitReady(deadline: .seconds(180))
                var lines: [String] = []
                let status = try berth.run(start, deadline: .seconds(120)) { lines.append($0) }
                guard status == 0 else {
                    throw BerthError(.internal, "\(start): exit status \(status): \(lines.suffix(5).joined(separator: " | "))")
                }
                ready.append(elapsed(since: berth.bootStarted))
            }
            print(String(format: "guest_boot_trivial_init_%@ %.2f s", accelerator.rawValue, median(trivial)))
            print(String(format: "guest_boot_berthd_ready_%@ %.2f s", accelerator.rawValue, median(ready)))
        }
    }

    private func elapsed(since start: ContinuousClock.Instant) -> Double {
        let (whole, fraction) = (ContinuousClock.now - start).components
        return Double(whole) + Double(fraction) / 1e18
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// `word` quoted for a POSIX shell.
func shellQuoted(_ word: String) -> String {
    if !word.isEmpty && word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A progress line on standard error, so standard output holds only what was asked for.
func note(_ text: String) {
    FileHandle.standardError.write(Data("berth-guest: \(text)\n".utf8))
}

/// Runs a subcommand body, killing any QEMU still running when a signal ends the program, and
/// printing a failure as one clear line with a non-zero exit.
func reportingFailure(_ body: () throws(BerthError) -> Void) throws {
    installSignalHandlers()
    do {
        try body()
    } catch {
        fflush(nil)
        FileHandle.standardError.write(Data("berth-guest: \(error.message)\n".utf8))
        throw ExitCode.failure
    }
}

nonisolated(unsafe) private var signalSources: [any DispatchSourceSignal] = []

/// SIGINT, SIGTERM and SIGHUP kill the guests first, then end the program with the signal's
/// status: no QEMU outlives berth-guest.
private func installSignalHandlers() {
    guard signalSources.isEmpty else { return }
    for number in [SIGINT, SIGTERM, SIGHUP] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            LiveMachines.killAll()
            FileHandle.standardError.write(Data("berth-guest: killed by signal \(number); guests stopped\n".utf8))
            _exit(128 + number)
        }
        source.resume()
        signalSources.append(source)
    }
}
