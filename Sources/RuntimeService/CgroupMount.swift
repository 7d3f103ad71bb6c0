import BerthBase

/// The cgroup v2 hierarchy as this machine has it: found in `/proc/self/mountinfo` (it is not
/// always `/sys/fs/cgroup`; hybrid hosts mount it at `/sys/fs/cgroup/unified`) with the
/// controllers its root offers.
public struct CgroupMount: Sendable, Equatable {
    public var path: String
    public var controllers: [String]

    /// Reads the live system; nil when no cgroup2 filesystem is mounted.
    public static func detect() -> CgroupMount? {
        guard let bytes = try? FileSystem.read("/proc/self/mountinfo") else { return nil }
        guard let path = cgroup2MountPoint(mountinfo: String(decoding: bytes, as: UTF8.self)) else { return nil }
        let controllers = (try? FileSystem.read("\(path)/cgroup.controllers")).flatMap { $0 }
            .map { String(decoding: $0, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init) } ?? []
        return CgroupMount(path: path, controllers: controllers)
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
        var out = ""
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "\\"), iterator.count >= 3,
               let value = UInt8(String(decoding: iterator.prefix(3), as: UTF8.self), radix: 8) {
                out.unicodeScalars.append(Unicode.Scalar(value))
                iterator = iterator.dropFirst(3)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }
}
