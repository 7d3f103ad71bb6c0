/// The status line and header fields of one response.
struct ResponseHead {
    var status: Int
    /// Names lowercased, in the order received.
    var headers: [(name: String, value: String)]

    func values(_ name: String) -> [String] {
        headers.filter { $0.name == name }.map(\.value)
    }

    /// Bounds on what a server may send before the body.
    static let lineLimit = 64 << 10
    static let fieldLimit = 256
}

/// How the body of a response is delimited (RFC 9112, section 6.3).
enum BodyFraming: Equatable {
    case none
    case length(Int64)
    case chunked
    case untilClose
}

extension Connection {
    /// The next final response head: interim (1xx) responses are read and skipped.
    func readResponseHead() throws(TransferError) -> ResponseHead {
        var first = true
        while true {
            let head = try readOneHead(first: first)
            first = false
            switch head.status {
            case 101:
                throw .connection("\(peer): unexpected 101 Switching Protocols")
            case 100..<200:
                continue
            default:
                return head
            }
        }
    }

    private func readOneHead(first: Bool) throws(TransferError) -> ResponseHead {
        let statusLine = try readLine(
            limit: ResponseHead.lineLimit, tooLong: "status line longer than \(ResponseHead.lineLimit) bytes",
            closed: first ? "empty reply" : "connection closed after an interim response")
        let status = try parseStatusLine(statusLine)
        let headers = try readFields(
            "response header", closed: "connection closed inside the response head", parse: true)
        return ResponseHead(status: status, headers: headers)
    }

    /// Field lines up to the empty line that ends them, bounded in length and number.
    /// `kind` names them in messages; trailers (`parse` false) carry nothing the client uses,
    /// so they are only read and dropped.
    private func readFields(
        _ kind: String, closed: String, parse: Bool
    ) throws(TransferError) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        var lines = 0
        while true {
            let line = try readLine(
                limit: ResponseHead.lineLimit, tooLong: "\(kind) line longer than \(ResponseHead.lineLimit) bytes", closed: closed)
            if line.isEmpty { return fields }
            lines += 1
            guard lines <= ResponseHead.fieldLimit else {
                throw .connection("\(peer): more than \(ResponseHead.fieldLimit) \(kind) lines")
            }
            guard parse else { continue }
            if line.first == " " || line.first == "\t" {
                // Obsolete line folding (RFC 9112, section 5.2): the value goes on.
                guard !fields.isEmpty else { throw .connection("\(peer): malformed \(kind) line") }
                fields[fields.count - 1].value += " " + line.trimmingSpaces()
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) else {
                throw .connection("\(peer): malformed \(kind) line")
            }
            fields.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingSpaces()))
        }
    }

    /// `HTTP/1.x NNN reason`.
    private func parseStatusLine(_ line: String) throws(TransferError) -> Int {
        let bytes = Array(line.utf8)
        let digit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard bytes.count >= 12, line.hasPrefix("HTTP/1."), digit(bytes[7]), bytes[8] == UInt8(ascii: " "),
              bytes[9..<12].allSatisfy(digit), bytes.count == 12 || bytes[12] == UInt8(ascii: " ") else {
            throw .connection("\(peer): malformed status line \"\(line.prefix(64))\"")
        }
        return bytes[9..<12].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// How this response's body ends, for a request with `method`.
    func framing(of head: ResponseHead, method: String) throws(TransferError) -> BodyFraming {
        if method == "HEAD" || head.status == 204 || head.status == 304 || (100..<200).contains(head.status) {
            return .none
        }
        let codings = head.values("transfer-encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces().lowercased() }
        if !codings.isEmpty {
            // Only chunked can be the last coding of a delimited body; anything else runs to the close.
            return codings.last == "chunked" ? .chunked : .untilClose
        }
        let lengths = head.values("content-length").flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces() }
        guard let first = lengths.first else { return .untilClose }
        guard first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), first.count <= 18,
              let length = Int64(first), lengths.allSatisfy({ $0 == first }) else {
            throw .connection("\(peer): bad Content-Length \"\(lengths.joined(separator: ", ").prefix(64))\"")
        }
        return .length(length)
    }

    /// Reads a body as framed, handing it over in slices of the read buffer.
    func readBody(
        _ framing: BodyFraming, into consume: (UnsafeRawBufferPointer) throws(TransferError) -> Void
    ) throws(TransferError) {
        switch framing {
        case .none:
            return
        case .length(let length):
            var left = length
            while left > 0 {
                guard let slice = try next(limit: Int(min(left, Int64(Int.max)))) else {
                    throw .connection("\(peer): connection closed after \(length - left) of \(length) body bytes")
                }
                try consume(slice)
                left -= Int64(slice.count)
            }
        case .untilClose:
            while let slice = try next(limit: .max) { try consume(slice) }
        case .chunked:
            try readChunks(into: consume)
        }
    }

    /// RFC 9112, section 7.1: `size[;ext]` lines, data and CRLF, a zero size, trailers.
    private func readChunks(into consume: (UnsafeRawBufferPointer) throws(TransferError) -> Void) throws(TransferError) {
        let closed = "connection closed inside the chunked body"
        while true {
            let line = try readLine(limit: 4096, tooLong: "chunk size line longer than 4096 bytes", closed: closed)
            let text = line.prefix { $0 != ";" }.trimmingSpaces()
            guard !text.isEmpty, text.count <= 15, text.allSatisfy(\.isHexDigit), let size = Int64(text, radix: 16) else {
                throw .connection("\(peer): malformed chunk size")
            }
            if size == 0 { break }
            var left = size
            while left > 0 {
                guard let slice = try next(limit: Int(left)) else { throw .connection("\(peer): \(closed)") }
                try consume(slice)
                left -= Int64(slice.count)
            }
            let end = try readLine(limit: 1, tooLong: "malformed chunk: data not followed by CRLF", closed: closed)
            guard end.isEmpty else { throw .connection("\(peer): malformed chunk: data not followed by CRLF") }
        }
        // Trailer fields carry nothing the client uses; they are read, bounded, and dropped.
        _ = try readFields("trailer", closed: closed, parse: false)
    }
}
