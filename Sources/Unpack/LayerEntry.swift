#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One tar entry as the layer describes it, headers and extensions merged; its data, for a
/// regular file, follows in the stream.
struct LayerEntry: Equatable {
    enum Kind: Equatable {
        case regular
        case hardLink
        case symlink
        case characterDevice
        case blockDevice
        case directory
        case fifo
    }

    /// A time as tar stores it: seconds since the epoch (negative before) and nanoseconds.
    struct Time: Equatable {
        var seconds: Int64
        var nanoseconds: Int

        var system: timespec { timespec(tv_sec: time_t(seconds), tv_nsec: nanoseconds) }
    }

    struct Xattr: Equatable {
        var name: String
        var value: [UInt8]
    }

    var path: String
    var kind: Kind
    /// The target of a hard link or symlink, empty otherwise.
    var linkTarget = ""
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    var permissions: mode_t = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var userName = ""
    var groupName = ""
    /// Bytes of data that follow the header: zero for all but regular files.
    var size: Int64 = 0
    var mtime = Time(seconds: 0, nanoseconds: 0)
    /// Only pax headers (and GNU's incremental format) carry one.
    var atime: Time?
    var deviceMajor: UInt32 = 0
    var deviceMinor: UInt32 = 0
    var xattrs: [Xattr] = []

    /// The device number for `mknod`, encoded as glibc's `makedev` does.
    var device: dev_t {
        let major = UInt64(deviceMajor)
        let minor = UInt64(deviceMinor)
        return dev_t(((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff))
    }
}
