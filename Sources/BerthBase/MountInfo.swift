/// One line of `/proc/self/mountinfo`: where a file system is mounted, and its type.
public struct MountEntry: Sendable, Equatable {
    public var mountPoint: String
    public var fileSystem: String

    public init(mountPoint: String, fileSystem: String) {
        self.mountPoint = mountPoint
        self.fileSystem = fileSystem
    }
}

/// The mount table of this mount namespace, as the kernel writes it in `/proc/self/mountinfo`.
public enum MountInfo {
    /// The mounts of the calling process's mount namespace; empty when it cannot be read.
    public static func current() -> [MountEntry] {
        guard let bytes = try? FileSystem.read("/proc/self/mountinfo") else { return [] }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses mountinfo text. Fields: id parent major:minor root mountpoint options
    /// [optional…] - fstype source superoptions.
    public static func parse(_ text: String) -> [MountEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let dash = fields[5...].firstIndex(of: "-")
            let type = dash.flatMap { $0 + 1 < fields.count ? String(fields[$0 + 1]) : nil } ?? ""
            return MountEntry(mountPoint: unescape(fields[4]), fileSystem: type)
        }
    }

    /// mountinfo writes space, tab, newline and backslash in paths as octal escapes.
    public static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "\\"), rest.count >= 3,
               let value = UInt8(String(decoding: rest.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                rest = rest.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
