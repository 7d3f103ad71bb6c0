#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import COpenSSL

/// One TCP connection, perhaps with TLS over it, read through a reusable buffer.
///
/// The socket is non-blocking: every wait is a `poll` of at most 250 ms, after which the
/// cancellation flag and the deadline (while connecting) or the low-speed limit (after)
/// are checked, so a cancelled pull stops within a quarter second.
final class Connection {
    /// What the other end is called in messages: `host:port`, maybe `via proxy host:port`.
    var peer: String
    private let fd: Int32
    private let flag: CancellationFlag
    private var ssl: OpaquePointer?
    /// While connecting: when to give up, and the step named in the timeout message.
    private var connecting: (deadline: UInt64, seconds: Int, step: String)?
    private var speed: LowSpeedGuard?

    /// Read buffer: `buffer[start..<end]` is received but not consumed.
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    static let bufferSize = 256 << 10

    /// Takes over a connected socket.
    init(fd: Int32, peer: String, flag: CancellationFlag, deadline: UInt64, seconds: Int) {
        self.fd = fd
        self.peer = peer
        self.flag = flag
        connecting = (deadline, seconds, "connect \(peer)")
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit {
        if let ssl { SSL_free(ssl) }
        close(fd)
        buffer.deallocate()
    }

    /// Ends the connecting phase: from now on the low-speed limit applies.
    func startTransfer(lowSpeedBytes: Int, lowSpeedSeconds: Int) {
        connecting = nil
        speed = LowSpeedGuard(bytesPerSecond: lowSpeedBytes, seconds: lowSpeedSeconds)
    }

    /// Names the connecting step a timeout would be reported for.
    func connectingStep(_ step: String) {
        connecting?.step = step
    }

    // MARK: TLS

    /// Runs the TLS handshake, sending `serverName` as SNI (unless it is an address) and,
    /// when the context verifies, checking the certificate against it.
    func startTLS(serverName: String, context: TLSContext) throws(TransferError) {
        let step = "TLS handshake with \(peer)"
        connectingStep(step)
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else {
            throw .connection("\(step): \(openSSLErrorText() ?? "SSL_new failed")")
        }
        self.ssl = ssl
        guard SSL_set_fd(ssl, fd) == 1 else { throw .connection("\(step): \(openSSLErrorText() ?? "SSL_set_fd failed")") }
        let isAddress = IPAddress(serverName) != nil
        if !isAddress, berth_ssl_set_server_name(ssl, serverName) != 1 {
            throw .connection("\(step): \(openSSLErrorText() ?? "cannot set the server name")")
        }
        if context.verifies {
            let named = isAddress
                ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
                : SSL_set1_host(ssl, serverName)
            guard named == 1 else { throw .connection("\(step): \(openSSLErrorText() ?? "cannot set the expected name")") }
        }
        while true {
            ERR_clear_error()
            let result = SSL_connect(ssl)
            if result == 1 { return }
            let code = errno
            try awaitTLS(SSL_get_error(ssl, result), step) {
                let verifyResult = SSL_get_verify_result(ssl)
                if context.verifies, verifyResult != X509_V_OK {
                    let reason = String(cString: X509_verify_cert_error_string(verifyResult))
                    ERR_clear_error()
                    return "\(step): certificate verify failed (\(reason))"
                }
                return "\(step): \(tlsFailure(errnoBefore: code))"
            }
        }
    }

    /// Waits until the socket allows the retry a failed SSL call asks for; any other SSL
    /// error ends the transfer with `failure()`.
    private func awaitTLS(_ error: Int32, _ verb: String, failure: () -> String) throws(TransferError) {
        switch error {
        case SSL_ERROR_WANT_READ: try wait(Int16(POLLIN), verb)
        case SSL_ERROR_WANT_WRITE: try wait(Int16(POLLOUT), verb)
        default: throw .connection(failure())
        }
    }

    private func tlsFailure(errnoBefore code: Int32) -> String {
        if let text = openSSLErrorText() { return text }
        return code != 0 ? FileSystem.errnoText(code) : "connection closed by peer"
    }

    // MARK: Raw I/O

    /// Receives up to `count` bytes; 0 at the end of the stream.
    func receive(into pointer: UnsafeMutableRawPointer, count: Int) throws(TransferError) -> Int {
        let verb = "receive from"
        while true {
            try checkProgress(verb)
            if let ssl {
                ERR_clear_error()
                var received = 0
                if SSL_read_ex(ssl, pointer, count, &received) == 1 {
                    speed?.add(received)
                    return received
                }
                let code = errno
                let error = SSL_get_error(ssl, 0)
                if error == SSL_ERROR_ZERO_RETURN { return 0 }
                try awaitTLS(error, verb) { "\(verb) \(peer): \(tlsFailure(errnoBefore: code))" }
                continue
            }
            let received = recv(fd, pointer, count, 0)
            if received >= 0 {
                speed?.add(received)
                return received
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(Int16(POLLIN), verb)
            default: throw .connection("\(verb) \(peer): \(FileSystem.errnoText())")
            }
        }
    }

    /// Sends every byte.
    func send(_ bytes: UnsafeRawBufferPointer) throws(TransferError) {
        let verb = "send to"
        guard var pointer = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            try checkProgress(verb)
            var sent = 0
            if let ssl {
                ERR_clear_error()
                if SSL_write_ex(ssl, pointer, left, &sent) != 1 {
                    let code = errno
                    try awaitTLS(SSL_get_error(ssl, 0), verb) { "\(verb) \(peer): \(tlsFailure(errnoBefore: code))" }
                    continue
                }
            } else {
                let result = Glibc.send(fd, pointer, left, Int32(MSG_NOSIGNAL))
                if result < 0 {
                    switch errno {
                    case EINTR: continue
                    case EAGAIN, EWOULDBLOCK: try wait(Int16(POLLOUT), verb)
                    default: throw .connection("\(verb) \(peer): \(FileSystem.errnoText())")
                    }
                    continue
                }
                sent = result
            }
            speed?.add(sent)
            pointer += sent
            left -= sent
        }
    }

    func send(_ bytes: [UInt8]) throws(TransferError) {
        let failure: TransferError? = bytes.withUnsafeBytes { raw in
            do throws(TransferError) {
                try send(raw)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    private func checkProgress(_ verb: String) throws(TransferError) {
        if flag.isCancelled { throw .cancelled }
        if let reason = speed?.check() { throw .connection("\(verb) \(peer): \(reason)") }
    }

    /// Waits until the socket is ready for `events`, in slices short enough to notice
    /// cancellation, the connect deadline and the low-speed limit.
    private func wait(_ events: Int16, _ verb: String) throws(TransferError) {
        while true {
            try checkProgress(verb)
            var slice: Int32 = 250
            if let connecting {
                let now = monotonicNanoseconds()
                guard now < connecting.deadline else {
                    throw .connection("\(connecting.step): timed out after \(connecting.seconds) s")
                }
                slice = Int32(min(250, (connecting.deadline - now) / 1_000_000 + 1))
            }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, slice)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .connection("\(verb) \(peer): poll: \(FileSystem.errnoText())") }
        }
    }

    // MARK: Buffered reading

    /// Reads more into the buffer (moving what is left to its front when the end is
    /// reached); false at the end of the stream.
    private func fill() throws(TransferError) -> Bool {
        if start == end {
            start = 0
            end = 0
        } else if end == buffer.count {
            guard let base = buffer.baseAddress else { return false }
            memmove(base, base + start, end - start)
            end -= start
            start = 0
        }
        guard let base = buffer.baseAddress, end < buffer.count else { return true }
        let received = try receive(into: base + end, count: buffer.count - end)
        end += received
        return received > 0
    }

    /// One line without its CRLF (or bare LF). Throws `tooLong` once more than `limit`
    /// bytes arrive without a line end, and `closed` at the end of the stream, both
    /// prefixed with the peer.
    func readLine(limit: Int, tooLong: @autoclosure () -> String, closed: @autoclosure () -> String) throws(TransferError) -> String {
        var scanned = start
        while true {
            if let base = buffer.baseAddress, end > scanned,
               let found = memchr(base + scanned, Int32(UInt8(ascii: "\n")), end - scanned) {
                let newline = base.distance(to: found)
                var lineEnd = newline
                if lineEnd > start, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                guard lineEnd - start <= limit else { throw .connection("\(peer): \(tooLong())") }
                let line = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd]), as: UTF8.self)
                start = newline + 1
                return line
            }
            guard end - start <= limit else { throw .connection("\(peer): \(tooLong())") }
            let offset = end - start
            guard try fill() else { throw .connection("\(peer): \(closed())") }
            scanned = start + offset
        }
    }

    /// Up to `limit` received bytes, valid until the next read; nil at the end of the stream.
    func next(limit: Int) throws(TransferError) -> UnsafeRawBufferPointer? {
        if start == end, try !fill() { return nil }
        let count = min(limit, end - start)
        let slice = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)])
        start += count
        return slice
    }

    /// Whether bytes were received beyond what was read.
    var hasBufferedBytes: Bool { start < end }
}
