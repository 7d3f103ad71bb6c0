import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// The root file system every runnable test image starts from: Debian's static busybox and
/// the few files a container runtime's user, group and working-directory handling reads.
enum BusyboxRootfs {
    static let binaryPath = "/bin/busybox"

    /// Applets linked into `/bin`, each a symlink to `/bin/busybox`.
    static let applets = [
        "[", "ash", "awk", "basename", "cat", "chgrp", "chmod", "chown", "cmp", "cp", "cut", "date", "dd",
        "df", "diff", "dirname", "dmesg", "du", "echo", "egrep", "env", "expr", "false", "find", "free",
        "grep", "groups", "gunzip", "gzip", "head", "hexdump", "hostname", "httpd", "id", "ifconfig", "ip",
        "kill", "killall", "less", "ln", "ls", "md5sum", "mkdir", "mkfifo", "mknod", "mktemp", "more",
        "mount", "mv", "nc", "netstat", "nproc", "nslookup", "nsenter", "od", "pidof", "ping", "printf",
        "ps", "pwd", "readlink", "realpath", "rm", "rmdir", "route", "sed", "seq", "setpriv", "sh",
        "sha256sum", "sleep", "sort", "stat", "stty", "su", "sync", "sysctl", "tac", "tail", "tar", "tee",
        "test", "timeout", "top", "touch", "tr", "true", "truncate", "tty", "umount", "uname", "uniq",
        "unshare", "uptime", "usleep", "vi", "watch", "wc", "wget", "which", "whoami", "xargs", "yes",
    ]

    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        www-data:x:33:33:www-data:/var/www:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false

        """

    /// `www-data` is also listed in `users`, so supplemental groups from `/etc/group` show.
    static let group = """
        root:x:0:
        www-data:x:33:
        users:x:100:www-data
        nogroup:x:65534:

        """

    /// The size of `/bin/busybox`, checked to be a regular file.
    static func binarySize() throws(BerthError) -> Int64 {
        var info = stat()
        guard stat(binaryPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw BerthError(.failedPrecondition, "\(binaryPath): not found (install Debian's busybox-static)")
        }
        return Int64(info.st_size)
    }

    static func entries() throws(BerthError) -> [LayerEntry] {
        var entries: [LayerEntry] = [
            LayerEntry(path: "bin/busybox", content: .hostFile(path: binaryPath, size: try binarySize()), permissions: 0o755),
            .file("etc/passwd", passwd),
            .file("etc/group", group),
            .file("etc/os-release", "NAME=\"Berth test busybox\"\nID=berth-busybox\n"),
            .directory("tmp", permissions: 0o1777),
            .directory("root", permissions: 0o700),
            .directory("home"),
            .directory("var/www", uid: 33, gid: 33),
            .directory("var/tmp", permissions: 0o1777),
            .directory("usr/bin"),
            .directory("usr/sbin"),
            .directory("sbin"),
            .directory("dev"),
            .directory("proc"),
            .directory("sys"),
            .directory("run"),
            .directory("nonexistent", permissions: 0o555),
        ]
        entries += applets.map { .symlink("bin/\($0)", to: "/bin/busybox") }
        return entries
    }

    /// The base image: one rootfs layer, `PATH` set and `sh` as the command.
    static func image(in layout: LayoutWriter, flavor: ImageFlavor = .oci) throws(BerthError) -> ImageParts {
        var parts = ImageParts()
        let layer = try LayerWriter.write(try entries(), into: layout, mediaType: flavor.layer)
        parts.add(layer, createdBy: "berth-testimages: busybox rootfs from \(binaryPath)")
        parts.execution.env = ["PATH=\(path)"]
        parts.note("ENV PATH=\(path)")
        parts.execution.cmd = ["sh"]
        parts.note(#"CMD ["sh"]"#)
        return parts
    }
}
