import BerthBase
import NIOCore
import NIOHTTP1

extension BerthClient {
    /// Calls a server-streaming method (e.g. `/runtime.v1.RuntimeService/GetContainerEvents`)
    /// and yields each newline-delimited JSON message as it arrives. An error reply, or an
    /// error line the server sends before ending the stream, ends it with a `BerthError`.
    /// Ending the iteration closes the connection, which cancels the call on the server.
    public func stream(_ path: String, body: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do throws(BerthError) {
                    try await readStream(path: path, body: body) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func readStream(path: String, body: [UInt8], yield: @escaping ([UInt8]) -> Void) async throws(BerthError) {
        let outgoing = OutgoingRequest(method: "POST", path: path, headers: [], body: body)
        try await exchange(outgoing, timeout: nil) { inbound in
            var status = 0
            var errorBody: [UInt8] = []
            var lines = LineSplitter()
            for try await part in inbound {
                switch part {
                case .head(let head):
                    status = Int(head.status.code)
                case .body(let buffer) where status == 200:
                    for line in lines.append(buffer.readableBytesView) {
                        try Self.deliver(line, to: yield)
                    }
                case .body(let buffer):
                    errorBody.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard status == 200 else { throw WireError.decode(status: status, body: errorBody) }
                    if let last = lines.finish() { try Self.deliver(last, to: yield) }
                    return
                }
            }
            throw BerthError(.unavailable, "berthd at \(socketPath) closed the stream \(path) before it ended")
        }
    }

    private static func deliver(_ line: [UInt8], to yield: ([UInt8]) -> Void) throws(BerthError) {
        if let error = WireError.streamTrailer(line) { throw error }
        yield(line)
    }
}

/// Cuts a byte stream into newline-terminated lines, dropping empty ones.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var lines: [[UInt8]] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if newline > start { lines.append(Array(pending[start..<newline])) }
            start = newline + 1
        }
        pending.removeSubrange(..<start)
        return lines
    }

    /// The last line when the stream did not end with a newline.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }
}
