import BerthBase
import Glibc

/// A Debian kernel image package unpacked (never installed) into the cache: the kernel, its
/// modules with a `modules.dep`, and its build configuration.
public struct KernelPackage: Sendable {
    /// The package, e.g. `linux-image-6.1.0-56-cloud-amd64`, and its Debian version.
    public var package: String
    public var version: String
    /// Where the package is unpacked.
    public var root: String
    /// The kernel release, e.g. `6.1.0-56-cloud-amd64`.
    public var release: String

    public var kernel: String { "\(root)/boot/vmlinuz-\(release)" }
    public var modulesDirectory: String { "\(root)/lib/modules/\(release)" }

    /// The Debian meta package the guest kernel comes from.
    public static let defaultMetaPackage = "linux-image-cloud-amd64"

    /// The real image package a meta package points at, from `apt-cache depends` output.
    public static func imagePackage(fromDepends text: String) -> String? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 2, fields[0] == "Depends:", fields[1].hasPrefix("linux-image-") { return String(fields[1]) }
        }
        return nil
    }

    /// The `Version:` field of `apt-cache show` output.
    public static func version(fromShow text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("Version: ") {
            return String(line.dropFirst("Version: ".count))
        }
        return nil
    }

    /// Resolves `metaPackage` to its image package with apt, downloads that package and
    /// unpacks it under `cache/kernel/` unless that copy is already there.
    public static func fetch(metaPackage: String = defaultMetaPackage, cache: String) throws(BerthError) -> KernelPackage {
        let depends = try Command.check("/usr/bin/apt-cache", ["depends", metaPackage], deadline: .seconds(60))
        guard let package = imagePackage(fromDepends: depends.stdoutText) else {
            throw BerthError(.notFound, "\(metaPackage): apt-cache depends names no linux-image package")
        }
        let show = try Command.check("/usr/bin/apt-cache", ["show", "--no-all-versions", package], deadline: .seconds(60))
        guard let version = version(fromShow: show.stdoutText) else {
            throw BerthError(.notFound, "\(package): apt-cache show gives no version")
        }
        let release = String(package.dropFirst("linux-image-".count))
        let directory = "\(cache)/kernel/\(package)_\(version)"
        let unpacked = KernelPackage(package: package, version: version, root: directory + "/root", release: release)
        if FileSystem.exists(directory + "/complete") { return unpacked }

        try FileSystem.removeTree(directory)
        try FileSystem.makeDirectory(directory + "/download")
        // apt-get download writes into the current directory.
        try Command.check("/bin/sh", ["-c", "cd \"$1\" && exec apt-get download -q \"$2=$3\"", "sh", directory + "/download", package, version],
                          deadline: .seconds(600))
        guard let deb = FileSystem.list(directory + "/download").first(where: { $0.hasSuffix(".deb") }) else {
            throw BerthError(.notFound, "apt-get download \(package): no .deb written")
        }
        try Command.check("/usr/bin/dpkg-deb", ["-x", "\(directory)/download/\(deb)", unpacked.root], deadline: .seconds(300))
        guard FileSystem.exists(unpacked.kernel) else {
            throw BerthError(.notFound, "\(package): no \(unpacked.kernel) in the package")
        }
        // Debian generates modules.dep when the package is installed; here busybox's depmod
        // writes it into the unpacked tree.
        try Command.check(busybox, ["depmod", "-b", unpacked.root, release], deadline: .seconds(300))
        try FileSystem.removeTree(directory + "/download")
        try FileSystem.atomicWrite(Array("\(package) \(version)\n".utf8), to: directory + "/complete")
        return unpacked
    }

    /// The module dependencies and the names built into the kernel.
    public func moduleDependencies() throws(BerthError) -> (ModuleDependencies, builtin: Set<String>) {
        guard let dep = try FileSystem.read(modulesDirectory + "/modules.dep") else {
            throw BerthError(.notFound, "\(modulesDirectory)/modules.dep: missing")
        }
        let builtin = try FileSystem.read(modulesDirectory + "/modules.builtin") ?? []
        return (ModuleDependencies(parsing: String(decoding: dep, as: UTF8.self)),
                ModuleDependencies.builtinNames(parsing: String(decoding: builtin, as: UTF8.self)))
    }
}

/// Debian's busybox-static: one static binary that is the guest's whole userland base.
public let busybox = "/bin/busybox"
