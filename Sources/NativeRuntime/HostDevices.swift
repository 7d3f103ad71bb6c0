import BerthBase
import CLinux
import Glibc
import RuntimeSpec

/// The host's device nodes, which privileged containers get (as containerd gives them).
public enum HostDevices {
    /// Character and block devices in `/dev` and its subdirectories, except the ones every
    /// container gets its own of (`pts`, `shm`, `mqueue`) and the console.
    public static func list(root: String = "/dev") -> [Device] {
        var devices: [Device] = []
        func walk(_ directory: String, depth: Int) {
            for name in FileSystem.list(directory).sorted() {
                let path = "\(directory)/\(name)"
                if depth == 0 && ["pts", "shm", "mqueue", "console", "ptmx", "fd", "core"].contains(name) { continue }
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                let type = info.st_mode & S_IFMT
                if type == S_IFDIR, depth < 2 {
                    walk(path, depth: depth + 1)
                } else if type == S_IFCHR || type == S_IFBLK {
                    devices.append(Device(
                        type: type == S_IFCHR ? "c" : "b", path: path, major: Int64(berth_major(info.st_rdev)),
                        minor: Int64(berth_minor(info.st_rdev)), fileMode: info.st_mode & 0o777, uid: info.st_uid, gid: info.st_gid))
                }
            }
        }
        walk(root, depth: 0)
        return devices
    }
}

/// Namespace files compared by inode: two paths name the same namespace when they match.
public enum Namespaces {
    public static func differ(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_ino != second.st_ino || first.st_dev != second.st_dev
    }
}

/// Images mounted read-only on the host for CRI image mounts, below a container's directory.
public enum ImageMounts {
    /// Mounts a read-only snapshot (a bind of one layer, or an overlay of absolute lower dirs).
    public static func mount(_ snapshot: OverlaySnapshotMount, at target: String) throws(BerthError) {
        try FileSystem.makeDirectory(target, mode: 0o755)
        let result: Int32
        if snapshot.type == "bind" {
            result = Glibc.mount(snapshot.source, target, nil, UInt(MS_BIND | MS_REC), nil)
            if result == 0 {
                guard Glibc.mount(nil, target, nil, UInt(MS_BIND | MS_REMOUNT | MS_RDONLY), nil) == 0 else {
                    let text = FileSystem.errnoText()
                    umount2(target, Int32(MNT_DETACH))
                    throw BerthError(.internal, "remount image at \(target) read-only: \(text)")
                }
            }
        } else {
            result = Glibc.mount("overlay", target, "overlay", UInt(MS_RDONLY), snapshot.options)
        }
        guard result == 0 else { throw BerthError(.internal, "mount image at \(target): \(FileSystem.errnoText())") }
    }

    /// Unmounts every mount at or below `directory` (deepest first), from this mount namespace.
    public static func unmountAll(under directory: String) {
        guard let bytes = try? FileSystem.read("/proc/self/mountinfo") else { return }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let targets = String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = unescapeMountPath(fields[4])
            return point == directory || point.hasPrefix(prefix) ? point : nil
        }
        for target in targets.sorted(by: { $0.count > $1.count }) {
            umount2(target, Int32(MNT_DETACH))
        }
    }
}

/// The one mount of a read-only image view: its type (`bind` or `overlay`), source and options.
public struct OverlaySnapshotMount: Sendable {
    public var type: String
    public var source: String
    public var options: String

    public init(type: String, source: String, options: String) {
        self.type = type
        self.source = source
        self.options = options
    }
}
