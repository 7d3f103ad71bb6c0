#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// The bytes of a request head: request line, `Host`, `User-Agent`, the caller's lines,
/// `Content-Length` and `Connection: close` (no connection is reused).
func requestHead(
    method: String, target: String, host: String, headers: [String], contentLength: Int64?, extra: [String] = []
) -> [UInt8] {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: berth/1\r\n"
    for line in headers + extra { text += line + "\r\n" }
    if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
    text += "Connection: close\r\n\r\n"
    return Array(text.utf8)
}

/// Refuses header lines that would break the request: no name, or a line break inside.
func validateHeaderLines(_ lines: [String]) throws(TransferError) {
    for line in lines {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
              !line.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
            throw .setup("bad request header line \"\(line.prefix(64))\"")
        }
    }
}

extension TransferBody {
    /// The `Content-Length` to send: the body's size, 0 for a bodiless POST or PUT (curl's
    /// upload of nothing), else none.
    func contentLength(method: String) -> Int64? {
        switch self {
        case .none: method == "POST" || method == "PUT" ? 0 : nil
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, let size): size
        }
    }
}

extension Connection {
    /// Sends the head and then the body, the body read from its file as it goes.
    func sendRequest(head: [UInt8], body: TransferBody) throws(TransferError) {
        switch body {
        case .none:
            try send(head)
        case .bytes(let bytes):
            // One write for a small body saves a packet; a large one is not copied.
            if bytes.count <= 16 << 10 {
                try send(head + bytes)
            } else {
                try send(head)
                try send(bytes)
            }
        case .file(let path, let size):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .setup("open \(path): \(FileSystem.errnoText())") }
            defer { close(fd) }
            try send(head)
            try sendFile(fd, path: path, size: size)
        }
    }

    private func sendFile(_ fd: Int32, path: String, size: Int64) throws(TransferError) {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(Connection.bufferSize, Int(max(size, 1))), alignment: 16)
        defer { chunk.deallocate() }
        guard let base = chunk.baseAddress else { return }
        var left = size
        while left > 0 {
            let count = read(fd, base, Int(min(Int64(chunk.count), left)))
            if count < 0 {
                if errno == EINTR { continue }
                throw .setup("read \(path): \(FileSystem.errnoText())")
            }
            guard count > 0 else { throw .setup("\(path): ended after \(size - left) of \(size) bytes") }
            try send(UnsafeRawBufferPointer(start: base, count: count))
            left -= Int64(count)
        }
    }
}
