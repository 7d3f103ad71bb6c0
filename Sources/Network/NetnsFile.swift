#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// A pod's network namespace pinned by a bind mount on a file, as `ip netns` does, so that it
/// outlives the infra process until the pod is removed and plugins can name it by path.
public enum NetnsFile {
    /// Bind-mounts `/proc/<pid>/ns/net` on `path` (created empty first).
    public static func pin(pid: Int32, at path: String) throws(BerthError) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        try FileSystem.makeDirectory(directory, mode: 0o711)
        let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw BerthError(.internal, "create \(path): \(FileSystem.errnoText())") }
        close(fd)
        guard mount("/proc/\(pid)/ns/net", path, "none", UInt(MS_BIND), nil) == 0 else {
            let text = FileSystem.errnoText()
            unlink(path)
            throw BerthError(.internal, "bind-mount /proc/\(pid)/ns/net on \(path): \(text)")
        }
    }

    /// Whether `path` is a network namespace (a live bind mount), not just the file under it.
    /// Namespace files all live on the one nsfs superblock, so the device tells.
    public static func isPinned(_ path: String) -> Bool {
        var own = stat()
        var info = stat()
        return stat("/proc/self/ns/net", &own) == 0 && stat(path, &info) == 0 && info.st_dev == own.st_dev
    }

    /// Unmounts (every mount stacked on) `path` and removes the file; a missing one is fine.
    public static func release(_ path: String) throws(BerthError) {
        var attempts = 0
        while isPinned(path), attempts < 8 {
            if umount2(path, Int32(MNT_DETACH)) != 0, errno != EINVAL, errno != ENOENT {
                throw BerthError(.internal, "unmount \(path): \(FileSystem.errnoText())")
            }
            attempts += 1
        }
        if unlink(path) != 0, errno != ENOENT {
            throw BerthError(.internal, "remove \(path): \(FileSystem.errnoText())")
        }
    }
}
