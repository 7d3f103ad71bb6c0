import BerthBase
import Foundation
import Glibc

/// A bootable guest: a kernel, an initramfs, and optionally the read-only system disk the
/// initramfs switches to.
public struct GuestImage: Sendable {
    public var kernel: String
    public var initramfs: String
    public var systemDisk: String?
    /// Kernel command line words the image needs (the caller adds its own).
    public var commandLine: [String]
}

/// What goes into a guest besides the kernel.
public struct GuestRecipe: Sendable {
    /// Kernel modules to load in the initramfs (their dependencies come along); names the
    /// kernel has built in are skipped.
    public var modules: [String]
    /// Files and directories for the system disk: host path → path in the guest.
    public var files: [(host: String, guest: String)]
    /// Programs (host paths, also placed at `files`) whose shared libraries go along too.
    public var programs: [String]
    /// Kernel command line words this guest needs.
    public var commandLine: [String] = []

    public init(modules: [String] = GuestRecipe.baseModules, files: [(host: String, guest: String)] = [], programs: [String] = []) {
        self.modules = modules
        self.files = files
        self.programs = programs
    }

    /// What every system guest needs: virtio over PCI for the disk and the control port, erofs
    /// for the system disk, overlay for its writable root and for containers.
    public static let baseModules = ["virtio_pci", "virtio_blk", "virtio_console", "erofs", "overlay"]
}

/// Builds guest images into a cache directory, each output named by the hash of its inputs:
/// a second build with the same inputs only hashes them and returns the cached paths.
public struct GuestBuilder: Sendable {
    public var cache: String
    public var kernel: KernelPackage

    public init(cache: String, kernel: KernelPackage) {
        self.cache = cache
        self.kernel = kernel
    }

    /// Bumped whenever the layout of what is built changes, so old cache entries are not reused.
    static let layoutVersion = "1"

    /// The trivial guest: busybox and an `/init` that prints `GuestScripts.probeMarker` and
    /// powers off. Used to probe KVM and as the floor of boot time.
    public func probeImage() throws(BerthError) -> GuestImage {
        let key = CacheKey("probe-initramfs")
        key.add("layout", Self.layoutVersion)
        key.add("init", GuestScripts.probeInit)
        try key.addFile("busybox", path: busybox)
        let path = "\(cache)/initramfs/\(key.finish()).cpio"
        if !FileSystem.exists(path) {
            let entries: [CpioEntry] = [
                .directory("bin"), .directory("dev"), .directory("proc"),
                .executable("bin/busybox", try readFile(busybox)),
                .executable("init", Array(GuestScripts.probeInit.utf8)),
            ]
            try write(CpioWriter.archive(entries), to: path)
        }
        return GuestImage(kernel: kernel.kernel, initramfs: path, systemDisk: nil, commandLine: ["rdinit=/init"])
    }

    /// A system guest: an initramfs with busybox and the recipe's modules, and a system disk
    /// (erofs) with busybox, the agent, the recipe's files and their programs' libraries.
    public func systemImage(_ recipe: GuestRecipe) throws(BerthError) -> GuestImage {
        let initramfs = try systemInitramfs(modules: recipe.modules)
        let disk = try systemDisk(recipe)
        return GuestImage(kernel: kernel.kernel, initramfs: initramfs, systemDisk: disk, commandLine: ["rdinit=/init"] + recipe.commandLine)
    }

    func systemInitramfs(modules: [String]) throws(BerthError) -> String {
        let (dependencies, builtin) = try kernel.moduleDependencies()
        let order = try dependencies.loadOrder(for: modules, builtin: builtin)
        let key = CacheKey("system-initramfs")
        key.add("layout", Self.layoutVersion)
        key.add("kernel", "\(kernel.package) \(kernel.version)")
        key.add("modules", order.joined(separator: " "))
        key.add("init", GuestScripts.stageOneInit)
        try key.addFile("busybox", path: busybox)
        let path = "\(cache)/initramfs/\(key.finish()).cpio"
        if FileSystem.exists(path) { return path }
        var entries: [CpioEntry] = [
            .directory("bin"), .directory("dev"), .directory("proc"), .directory("sys"), .directory("modules"),
            .executable("bin/busybox", try readFile(busybox)),
            .symlink("bin/sh", to: "busybox"),
            .executable("init", Array(GuestScripts.stageOneInit.utf8)),
            CpioEntry("modules/order", .file(Array(order.map { $0 + "\n" }.joined().utf8))),
        ]
        var directories = Set<String>(["modules"])
        for file in order {
            var parent = ""
            for component in ("modules/" + file).split(separator: "/").dropLast() {
                parent = parent.isEmpty ? String(component) : parent + "/" + component
                if directories.insert(parent).inserted { entries.append(.directory(parent)) }
            }
            entries.append(CpioEntry("modules/" + file, .file(try readFile("\(kernel.modulesDirectory)/\(file)"))))
        }
        try write(CpioWriter.archive(entries), to: path)
        return path
    }

    func systemDisk(_ recipe: GuestRecipe) throws(BerthError) -> String {
        let libraries = try SharedLibraries.of(recipe.programs)
        var files = recipe.files
        files.append((busybox, "/bin/busybox"))
        files += libraries.map { ($0, $0) }
        let key = CacheKey("system-disk")
        key.add("layout", Self.layoutVersion)
        key.add("agent", GuestScripts.agent)
        for (host, guest) in files.sorted(by: { $0.guest < $1.guest }) {
            try addTree(key, host: host, guest: guest)
        }
        let path = "\(cache)/system/\(key.finish()).erofs"
        if FileSystem.exists(path) {
            utime(path, nil)  // recently used: kept by the pruning below
            return path
        }

        let staging = "\(cache)/tmp/system-\(getpid())"
        try FileSystem.removeTree(staging)
        defer { try? FileSystem.removeTree(staging) }
        for directory in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "run", "var/lib", "root", "berth"] {
            try FileSystem.makeDirectory("\(staging)/\(directory)")
        }
        for (host, guest) in files {
            let target = staging + guest
            try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
            // -L: a library named through a symlink arrives as the file itself.
            try Command.check("/bin/cp", ["-RL", "--preserve=mode", host, target], deadline: .seconds(300))
        }
        try symlink("busybox", at: staging + "/bin/sh")
        try FileSystem.atomicWrite(Array(GuestScripts.agent.utf8), to: staging + GuestScripts.agentPath, mode: 0o755)
        try FileSystem.atomicWrite(Array("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".utf8),
                                   to: staging + "/etc/passwd")
        try FileSystem.atomicWrite(Array("root:x:0:\nnogroup:x:65534:\n".utf8), to: staging + "/etc/group")
        try FileSystem.makeDirectory("\(cache)/system")
        let temporary = path + ".tmp-\(getpid())"
        // A failed or timed-out mkfs leaves no partial disk (after the rename this finds nothing).
        defer { unlink(temporary) }
        // Uncompressed: under TCG, decompressing costs more than reading.
        try Command.check("/usr/bin/mkfs.erofs", ["--quiet", "-T0", "--all-root", temporary, staging], deadline: .seconds(600))
        guard rename(temporary, path) == 0 else {
            throw BerthError(.internal, "rename \(temporary) to \(path): \(FileSystem.errnoText())")
        }
        prune("\(cache)/system", keeping: Self.systemDisksKept)
        return path
    }

    /// System disks are hundreds of MB and every rebuilt binary makes a new one: only the most
    /// recently used are kept.
    static let systemDisksKept = 3

    /// Removes all but the `count` most recently modified disks in `directory`; temporaries
    /// (of this or another build under way) are not disks and are left alone.
    private func prune(_ directory: String, keeping count: Int) {
        let dated: [(String, Int)] = FileSystem.list(directory).filter { $0.hasSuffix(".erofs") }.compactMap { name in
            var info = stat()
            guard stat("\(directory)/\(name)", &info) == 0 else { return nil }
            return (name, info.st_mtim.tv_sec)
        }
        for (name, _) in dated.sorted(by: { $0.1 > $1.1 }).dropFirst(count) {
            unlink("\(directory)/\(name)")
        }
    }

    /// Adds a file, or every file below a directory in name order, to `key`.
    private func addTree(_ key: CacheKey, host: String, guest: String) throws(BerthError) {
        if FileSystem.isDirectory(host) {
            key.add("directory", guest)
            for name in FileSystem.list(host).sorted() {
                try addTree(key, host: host + "/" + name, guest: guest + "/" + name)
            }
            return
        }
        var info = stat()
        guard stat(host, &info) == 0 else { throw BerthError(.notFound, "guest file \(host): \(FileSystem.errnoText())") }
        key.add("mode", String(info.st_mode & 0o7777, radix: 8))
        try key.addFile(guest, path: host)
    }

    private func readFile(_ path: String) throws(BerthError) -> [UInt8] {
        guard let bytes = try FileSystem.read(path) else { throw BerthError(.notFound, "\(path): no such file") }
        return bytes
    }

    private func write(_ bytes: [UInt8], to path: String) throws(BerthError) {
        try FileSystem.makeDirectory((path as NSString).deletingLastPathComponent)
        try FileSystem.atomicWrite(bytes, to: path, durable: false)
    }

    private func symlink(_ target: String, at path: String) throws(BerthError) {
        unlink(path)
        guard Glibc.symlink(target, path) == 0 else { throw BerthError(.internal, "symlink \(path): \(FileSystem.errnoText())") }
    }
}
