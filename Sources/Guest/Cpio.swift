/// One member of a newc ("070701") cpio archive, the format the kernel unpacks an initramfs
/// from.
public struct CpioEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case directory
        case file([UInt8])
        case symlink(String)
        case characterDevice(major: UInt32, minor: UInt32)
    }

    /// Relative path inside the archive, without a leading `/`.
    public var path: String
    public var kind: Kind
    /// Permission bits only; the type bits come from `kind`.
    public var permissions: UInt32

    public init(_ path: String, _ kind: Kind, permissions: UInt32? = nil) {
        self.path = path.hasPrefix("/") ? String(path.dropFirst()) : path
        self.kind = kind
        switch kind {
        case .directory: self.permissions = permissions ?? 0o755
        case .file: self.permissions = permissions ?? 0o644
        case .symlink: self.permissions = permissions ?? 0o777
        case .characterDevice: self.permissions = permissions ?? 0o600
        }
    }

    public static func directory(_ path: String) -> CpioEntry { CpioEntry(path, .directory) }
    public static func executable(_ path: String, _ bytes: [UInt8]) -> CpioEntry { CpioEntry(path, .file(bytes), permissions: 0o755) }
    public static func symlink(_ path: String, to target: String) -> CpioEntry { CpioEntry(path, .symlink(target)) }
}

/// Writes newc cpio archives. Owners are root and times are zero, so the same entries always
/// give the same bytes (the archive is cached by the hash of what went in).
public enum CpioWriter {
    public static func archive(_ entries: [CpioEntry]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(512) { total, entry in
            if case .file(let bytes) = entry.kind { return total + bytes.count + entry.path.utf8.count + 120 }
            return total + entry.path.utf8.count + 120
        })
        for (index, entry) in entries.enumerated() {
            let (type, nlink, data, rdev): (UInt32, UInt32, [UInt8], (UInt32, UInt32)) = switch entry.kind {
            case .directory: (0o040000, 2, [], (0, 0))
            case .file(let bytes): (0o100000, 1, bytes, (0, 0))
            case .symlink(let target): (0o120000, 1, Array(target.utf8), (0, 0))
            case .characterDevice(let major, let minor): (0o020000, 1, [], (major, minor))
            }
            append(&out, name: entry.path, inode: UInt32(index + 1), mode: type | (entry.permissions & 0o7777),
                   nlink: nlink, size: UInt32(data.count), rdev: rdev)
            out += data
            pad(&out)
        }
        append(&out, name: "TRAILER!!!", inode: 0, mode: 0, nlink: 1, size: 0, rdev: (0, 0))
        return out
    }

    private static func append(
        _ out: inout [UInt8], name: String, inode: UInt32, mode: UInt32, nlink: UInt32, size: UInt32, rdev: (UInt32, UInt32)
    ) {
        out += Array("070701".utf8)
        // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        for field in [inode, mode, 0, 0, nlink, 0, size, 0, 0, rdev.0, rdev.1, UInt32(name.utf8.count + 1), 0] {
            out += hex8(field)
        }
        out += Array(name.utf8)
        out.append(0)
        pad(&out)
    }

    private static func hex8(_ value: UInt32) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return (0..<8).reversed().map { digits[Int((value >> (UInt32($0) * 4)) & 0xF)] }
    }

    private static func pad(_ out: inout [UInt8]) {
        while out.count % 4 != 0 { out.append(0) }
    }
}
