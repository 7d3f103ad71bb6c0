import BerthBase
import CLinux
import Glibc
import RuntimeSpec

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
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let targets = MountInfo.current().map(\.mountPoint).filter { $0 == directory || $0.hasPrefix(prefix) }
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
