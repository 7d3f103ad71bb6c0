import BerthBase
import CLinux
import Glibc

/// The files and mounts a pod keeps on the host for its containers: `/etc/hosts`,
/// `/etc/resolv.conf`, `/etc/hostname`, and a tmpfs for `/dev/shm`.
public struct PodFiles: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var hosts: String { "\(directory)/hosts" }
    public var resolvConf: String { "\(directory)/resolv.conf" }
    public var hostname: String { "\(directory)/hostname" }
    public var shm: String { "\(directory)/shm" }

    public func write(hosts: String, resolvConf: String, hostname: String) throws(BerthError) {
        try FileSystem.makeDirectory(directory, mode: 0o711)
        try FileSystem.atomicWrite(Array(hosts.utf8), to: self.hosts, durable: false)
        try FileSystem.atomicWrite(Array(resolvConf.utf8), to: self.resolvConf, durable: false)
        try FileSystem.atomicWrite(Array((hostname + "\n").utf8), to: self.hostname, durable: false)
    }

    /// Mounts the pod's `/dev/shm` tmpfs with the given options and MS_* flags.
    public func mountShm(data: String, flags: UInt) throws(BerthError) {
        try FileSystem.makeDirectory(shm, mode: 0o755)
        guard mount("shm", shm, "tmpfs", flags, data) == 0 else {
            throw BerthError(.internal, "mount pod shm at \(shm): \(FileSystem.errnoText())")
        }
    }

    /// Unmounts the pod's `/dev/shm` if it is mounted; a missing mount is fine.
    public func unmountShm() throws(BerthError) {
        guard isMountPoint(shm) else { return }
        guard umount2(shm, Int32(MNT_DETACH)) == 0 || errno == EINVAL || errno == ENOENT else {
            throw BerthError(.internal, "unmount pod shm at \(shm): \(FileSystem.errnoText())")
        }
    }

    /// Removes the pod's directory, unmounting its shm first.
    public func remove() throws(BerthError) {
        try unmountShm()
        ImageMounts.unmountAll(under: directory)
        try FileSystem.removeTree(directory)
    }
}

/// Whether `path` is the mount point of a mount in this mount namespace.
public func isMountPoint(_ path: String) -> Bool {
    MountInfo.current().contains { $0.mountPoint == path }
}
