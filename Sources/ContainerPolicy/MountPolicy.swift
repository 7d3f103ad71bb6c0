import BerthBase
import CRI
import RuntimeSpec

/// A CRI mount whose source is an image (the `image` field): the daemon mounts the image
/// and puts its path into `spec.mounts[mountIndex].source`.
public struct ImageMountRequest: Sendable, Equatable {
    public var mountIndex: Int
    public var image: String
    public var subPath: String
    public var readonly: Bool

    public init(mountIndex: Int, image: String, subPath: String, readonly: Bool) {
        self.mountIndex = mountIndex
        self.image = image
        self.subPath = subPath
        self.readonly = readonly
    }
}

/// An image `Volumes` entry given an empty directory: the daemon creates `hostPath`.
public struct ImageVolume: Sendable, Equatable {
    public var destination: String
    public var hostPath: String

    public init(destination: String, hostPath: String) {
        self.destination = destination
        self.hostPath = hostPath
    }
}

/// The container's mounts in containerd's order.
public enum MountPolicy {
    /// The mounts every container gets (containerd's default spec without `/run`, plus the
    /// cgroup mount). Privileged containers get `/sys` and `/sys/fs/cgroup` read-write.
    public static func defaults(privileged: Bool) -> [Mount] {
        [
            Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", privileged ? "rw" : "ro"]),
            Mount(destination: "/sys/fs/cgroup", type: "cgroup2", source: "cgroup",
                  options: ["nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"]),
        ]
    }

    /// The pod's `/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname` (read-only with a
    /// read-only rootfs) and `/dev/shm` (the pod's, or the host's with IPC NODE), each left
    /// out when a CRI mount has the same destination or the file is unknown.
    public static func podMounts(sandbox: SandboxContext, readonlyRootfs: Bool, hostIPC: Bool,
                                 criMounts: [Runtime_V1_Mount]) -> [Mount] {
        let covered = Set(criMounts.map { clean($0.containerPath) })
        var mounts: [Mount] = []
        func bind(_ destination: String, _ source: String?, readonly: Bool) {
            guard let source, !covered.contains(destination) else { return }
            mounts.append(Mount(destination: destination, type: "bind", source: source,
                                options: ["rbind", "rprivate", readonly ? "ro" : "rw"]))
        }
        bind("/etc/hosts", sandbox.hostsPath, readonly: readonlyRootfs)
        bind("/etc/resolv.conf", sandbox.resolvConfPath, readonly: readonlyRootfs)
        bind("/etc/hostname", sandbox.hostnamePath, readonly: readonlyRootfs)
        bind("/dev/shm", hostIPC ? sandbox.hostShmPath : sandbox.shmPath, readonly: false)
        return mounts
    }

    /// The CRI `mounts` as binds: `rbind`, the propagation (`rprivate`, `rslave`, `rshared`),
    /// `ro`/`rw`, and `rro` for recursive read-only (which needs `readonly` and private
    /// propagation). Image-backed mounts get an empty source, listed in `imageMounts` with
    /// their index offset by `indexBase`.
    public static func criMounts(_ requested: [Runtime_V1_Mount], indexBase: Int)
        throws(BerthError) -> (mounts: [Mount], imageMounts: [ImageMountRequest]) {
        var mounts: [Mount] = []
        var images: [ImageMountRequest] = []
        for (index, mount) in requested.enumerated() {
            let field = "mounts[\(index)]"
            guard mount.containerPath.hasPrefix("/") else {
                throw BerthError(.invalidArgument, "\(field).container_path: \"\(mount.containerPath)\" is not an absolute path")
            }
            let isImage = mount.hasImage && !mount.image.image.isEmpty
            if !isImage {
                guard mount.hostPath.hasPrefix("/") else {
                    throw BerthError(.invalidArgument, "\(field).host_path: \"\(mount.hostPath)\" is not an absolute path")
                }
            }
            var options = ["rbind"]
            switch mount.propagation {
            case .propagationPrivate: options.append("rprivate")
            case .propagationHostToContainer: options.append("rslave")
            case .propagationBidirectional: options.append("rshared")
            case .UNRECOGNIZED(let value):
                throw BerthError(.invalidArgument, "\(field).propagation: unknown propagation \(value)")
            }
            options.append(mount.readonly ? "ro" : "rw")
            if mount.recursiveReadOnly {
                guard mount.readonly else {
                    throw BerthError(.invalidArgument, "\(field).recursive_read_only: requires readonly")
                }
                guard mount.propagation == .propagationPrivate else {
                    throw BerthError(.invalidArgument, "\(field).recursive_read_only: requires private propagation")
                }
                options.append("rro")
            }
            if isImage {
                images.append(ImageMountRequest(mountIndex: indexBase + mounts.count, image: mount.image.image,
                                                subPath: mount.imageSubPath, readonly: mount.readonly))
            }
            mounts.append(Mount(destination: clean(mount.containerPath), type: "bind",
                                source: isImage ? "" : mount.hostPath, options: options))
        }
        return (mounts, images)
    }

    /// The image's `Volumes` not covered by a CRI mount, each a read-write bind of
    /// `<volumesDirectory>/volume-<n>` (volumes in path order).
    public static func imageVolumes(_ volumes: [String]?, criMounts: [Runtime_V1_Mount],
                                    volumesDirectory: String) -> [ImageVolume] {
        let covered = Set(criMounts.map { clean($0.containerPath) })
        var result: [ImageVolume] = []
        for destination in Set((volumes ?? []).map { clean("/" + $0) }).sorted() where !covered.contains(destination) {
            result.append(ImageVolume(destination: destination, hostPath: "\(volumesDirectory)/volume-\(result.count)"))
        }
        return result
    }

    /// The rootfs propagation the CRI mounts need: rshared if any is bidirectional, rslave
    /// if any is host-to-container, else nil.
    public static func rootfsPropagation(_ mounts: [Runtime_V1_Mount]) -> String? {
        if mounts.contains(where: { $0.propagation == .propagationBidirectional }) { return "rshared" }
        if mounts.contains(where: { $0.propagation == .propagationHostToContainer }) { return "rslave" }
        return nil
    }

    /// Parents before children: a stable sort on the number of path components.
    public static func ordered(_ mounts: [Mount]) -> [Mount] {
        mounts.enumerated().sorted { a, b in
            let da = depth(a.element.destination), db = depth(b.element.destination)
            return da != db ? da < db : a.offset < b.offset
        }.map(\.element)
    }

    static func depth(_ path: String) -> Int {
        path.split(separator: "/").count
    }

    /// `/a//b/./c/` → `/a/b/c` (`..` resolved lexically, never above `/`).
    public static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : joined
    }
}
