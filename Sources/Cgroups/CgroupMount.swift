import BerthBase

/// The cgroup v2 hierarchy as this machine has it: found in `/proc/self/mountinfo` (it is not
/// always `/sys/fs/cgroup`; hybrid hosts mount it at `/sys/fs/cgroup/unified`) with the
/// controllers its root offers.
public struct CgroupMount: Sendable, Equatable {
    /// Where the cgroup2 filesystem is mounted.
    public var path: String
    /// The controllers the root's `cgroup.controllers` lists, in its order.
    public var controllers: [String]

    public init(path: String, controllers: [String]) {
        self.path = path
        self.controllers = controllers
    }

    /// The hierarchy rooted at `path` (a real mount, or a directory shaped like one in tests),
    /// with the controllers its `cgroup.controllers` lists.
    public init(path: String) {
        self.init(path: path, controllers: CgroupFiles.words(in: "\(path)/cgroup.controllers"))
    }

    /// Reads the live system; nil when no cgroup2 filesystem is mounted.
    public static func detect() -> CgroupMount? {
        guard let bytes = try? FileSystem.read("/proc/self/mountinfo") else { return nil }
        guard let path = cgroup2MountPoint(mountinfo: String(decoding: bytes, as: UTF8.self)) else { return nil }
        return CgroupMount(path: path)
    }

    /// The controllers the root offers, for membership tests.
    public var availableControllers: Set<String> { Set(controllers) }

    /// The cgroup at `path` below this mount (`berth/pod/ctr`; a leading `/` is allowed).
    public func cgroup(_ path: String) throws(BerthError) -> Cgroup {
        try Cgroup(mount: self, path: path)
    }

    /// The mount point of the first cgroup2 filesystem in a mountinfo text.
    public static func cgroup2MountPoint(mountinfo: String) -> String? {
        MountInfo.parse(mountinfo).first { $0.fileSystem == "cgroup2" }?.mountPoint
    }
}
