#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import Foundation

/// One cgroup of the v2 hierarchy, named by its path below the mount.
public struct Cgroup: Sendable, Equatable {
    /// The hierarchy it lives in.
    public let mount: CgroupMount
    /// Its path below the mount, without a leading `/` (`berth/pod/ctr`).
    public let path: String

    /// The controllers `create()` enables for its children unless told otherwise.
    public static let defaultControllers: [String] = ["cpu", "cpuset", "io", "memory", "pids", "hugetlb"]

    public init(mount: CgroupMount, path: String) throws(BerthError) {
        self.mount = mount
        self.path = try CgroupPath.validated(path)
    }

    /// Its directory on the file system.
    public var directory: String { "\(mount.path)/\(path)" }

    /// Whether the cgroup exists.
    public var exists: Bool {
        var info = stat()
        return stat(directory, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The controllers this cgroup's own files cover (its `cgroup.controllers`: those its
    /// parent enabled for it).
    public func controllers() -> Set<String> {
        Set(CgroupFiles.words(in: "\(directory)/cgroup.controllers"))
    }

    /// Makes the cgroup and any missing parents, enabling each of `controllers` in every
    /// ancestor's `cgroup.subtree_control` so the cgroup gets that controller's files. A
    /// controller an ancestor does not offer is skipped, as is one the kernel refuses to
    /// enable: `apply` reports a controller missing when a limit needs it.
    public func create(enabling controllers: [String] = Cgroup.defaultControllers) throws(BerthError) {
        var ancestor = mount.path
        for component in path.split(separator: "/") {
            enable(controllers, in: ancestor)
            ancestor += "/\(component)"
            if mkdir(ancestor, 0o755) != 0 && errno != EEXIST {
                let code = errno
                throw BerthError(CgroupFiles.errorCode(code), "create cgroup \(ancestor): \(FileSystem.errnoText(code))")
            }
        }
    }

    /// Enables what `directory` offers and has not enabled yet, one controller per write so one
    /// refusal (EBUSY when the cgroup holds processes, say) does not cost the others.
    func enable(_ controllers: [String], in directory: String) {
        let offered = Set(CgroupFiles.words(in: "\(directory)/cgroup.controllers"))
        let enabled = Set(CgroupFiles.words(in: "\(directory)/cgroup.subtree_control"))
        for controller in controllers where offered.contains(controller) && !enabled.contains(controller) {
            try? CgroupFiles.write("+\(controller)", to: "\(directory)/cgroup.subtree_control")
        }
    }

    /// The processes in the cgroup itself (not its children); empty when it does not exist.
    public func processes() throws(BerthError) -> [Int32] {
        guard let text = try CgroupFiles.read("\(directory)/cgroup.procs") else { return [] }
        return text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
    }

    /// Removes the cgroup and every cgroup below it, leaf first. Processes still inside are
    /// killed (through `cgroup.kill`, or one by one on kernels before 5.14) and waited for
    /// until `timeout`; a cgroup that is already gone is not an error. This blocks (sleeping in
    /// short steps) for at most about `timeout`: call it through `runBlocking` from async code.
    public func remove(timeout: Duration = .seconds(5)) throws(BerthError) {
        let deadline = ContinuousClock.now + timeout
        try removeTree(directory, deadline: deadline, timeout: timeout)
    }

    func removeTree(_ directory: String, deadline: ContinuousClock.Instant, timeout: Duration) throws(BerthError) {
        guard FileSystem.exists(directory) else { return }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            if !FileSystem.exists(directory) { return }
            throw BerthError(.internal, "remove cgroup \(directory): cannot list it: \(error)")
        }
        for name in names.sorted() {
            var info = stat()
            // The only directories in a cgroup are its children.
            if lstat("\(directory)/\(name)", &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                try removeTree("\(directory)/\(name)", deadline: deadline, timeout: timeout)
            }
        }
        try empty(directory, deadline: deadline, timeout: timeout)
        while rmdir(directory) != 0 {
            let code = errno
            if code == ENOENT { return }
            // A process that just exited can keep the cgroup busy for a moment.
            if code == EBUSY && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            throw BerthError(CgroupFiles.errorCode(code), "remove cgroup \(directory): \(FileSystem.errnoText(code))")
        }
    }

    /// Kills what is left in one cgroup and waits for `cgroup.procs` to empty.
    func empty(_ directory: String, deadline: ContinuousClock.Instant, timeout: Duration) throws(BerthError) {
        let procs = "\(directory)/cgroup.procs"
        func remaining() -> [Int32] {
            (((try? CgroupFiles.read(procs)) ?? nil) ?? "").split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        }
        var pids = remaining()
        guard !pids.isEmpty else { return }
        let killFile = "\(directory)/cgroup.kill"
        if FileSystem.exists(killFile) {
            try CgroupFiles.write("1", to: killFile)
        } else {
            for pid in pids { kill(pid, SIGKILL) }
        }
        while !pids.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw BerthError(.deadlineExceeded, "remove cgroup \(directory): processes \(pids.map(String.init).joined(separator: ", ")) still in it after \(timeout) (killed with SIGKILL)")
            }
            Thread.sleep(forTimeInterval: 0.01)
            pids = remaining()
            // Without cgroup.kill, a process forked while killing escapes the first round.
            if !FileSystem.exists(killFile) { for pid in pids { kill(pid, SIGKILL) } }
        }
    }
}
