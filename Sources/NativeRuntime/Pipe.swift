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

    /// A pipe for each slot that wants one (nil for the others); when one cannot be made, the
    /// ones made before it are closed.
    public static func make(for wanted: [Bool]) throws(BerthError) -> [Pipe?] {
        var made: [Pipe?] = []
        for wants in wanted {
            do throws(BerthError) {
                made.append(wants ? try make() : nil)
            } catch {
                made.compactMap { $0 }.forEach { $0.closeBoth() }
                throw error
            }
        }
        return made
    }

    public func closeBoth() {
        close(read)
        close(write)
    }
}
