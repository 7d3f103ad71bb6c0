import BerthBase
import CLinux
import Foundation
import Glibc
import RuntimeState
import Synchronization

/// Learns when processes that are not berthd's children exit: one thread waits on a pidfd
/// per watched process with epoll, so watching fifty monitors costs one thread.
public final class ExitWatcher: Sendable {
    private let epoll: Int32
    private let handlers = Mutex<[Int32: @Sendable () -> Void]>([:])

    public init() throws(BerthError) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw BerthError(.internal, "epoll_create1: \(FileSystem.errnoText())") }
        let thread = Thread { [self] in loop() }
        thread.name = "berth-exit-watcher"
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Calls `onExit` once `process` has exited (at once when it already has).
    public func watch(_ process: ProcessIdentity, onExit: @escaping @Sendable () -> Void) {
        let pidfd = berth_pidfd_open(process.pid)
        // Opened after a possible pid reuse: check it is still the same process.
        guard pidfd >= 0, process.isAlive else {
            if pidfd >= 0 { close(pidfd) }
            onExit()
            return
        }
        handlers.withLock { $0[pidfd] = onExit }
        if berth_epoll_add(epoll, pidfd) != 0 {
            handlers.withLock { _ = $0.removeValue(forKey: pidfd) }
            close(pidfd)
            onExit()
        }
    }

    private func loop() {
        var ready = [Int32](repeating: 0, count: 64)
        while true {
            let count = ready.withUnsafeMutableBufferPointer { berth_epoll_wait_fds(epoll, $0.baseAddress, 64, -1) }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            for fd in ready[..<Int(count)] {
                berth_epoll_del(epoll, fd)
                close(fd)
                let handler = handlers.withLock { $0.removeValue(forKey: fd) }
                handler?()
            }
        }
    }
}
