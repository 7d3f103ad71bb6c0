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
        for line in mountinfo.split(separator: "\n") {
            // Fields: id parent major:minor root mountpoint options [optional…] - fstype source superoptions
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 4 else { continue }
            if fields[dash + 1] == "cgroup2" { return unescapeMountPath(String(fields[4])) }
        }
        return nil
    }

    /// mountinfo writes space, tab, newline and backslash as octal escapes.
    static func unescapeMountPath(_ text: String) -> String {
        var out: [UInt8] = []
        var rest = Array(text.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "\\"), rest.count >= 3,
               let value = UInt8(String(decoding: rest.prefix(3), as: UTF8.self), radix: 8) {
                out.append(value)
                rest = rest.dropFirst(3)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
