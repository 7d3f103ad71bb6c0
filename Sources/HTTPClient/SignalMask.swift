#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `body` with SIGPIPE blocked on this thread, and discards one raised meanwhile.
/// OpenSSL writes to its socket with plain `write`, and a peer that closed first would
/// otherwise kill a process that does not ignore SIGPIPE (berthd does; test runners may not).
func withSIGPIPEBlocked<T>(_ body: () throws(TransferError) -> T) throws(TransferError) -> T {
    var pipe = sigset_t()
    sigemptyset(&pipe)
    sigaddset(&pipe, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipe, &previous)
    defer {
        var pending = sigset_t()
        if sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1, sigismember(&previous, SIGPIPE) == 0 {
            var none = timespec()
            _ = sigtimedwait(&pipe, nil, &none)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    return try body()
}
