import BerthBase
import CLinux
import Glibc

/// A close-on-exec pipe; the ends given to a spawned process are dup'ed into place there.
public struct Pipe: Sendable {
    public let read: Int32
    public let write: Int32

    public static func make() throws(BerthError) -> Pipe {
        var fds: [Int32] = [-1, -1]
        guard berth_pipe2(&fds, O_CLOEXEC) == 0 else { throw BerthError(.internal, "pipe2: \(FileSystem.errnoText())") }
        return Pipe(read: fds[0], write: fds[1])
    }

    public func closeBoth() {
        close(read)
        close(write)
    }
}
