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
