import BerthBase
import Foundation

/// The error replies of the socket API: `{"code":"not_found","message":"…"}` as a body,
/// or `{"error":{…}}` as the last line of a stream.
enum WireError {
    private struct Body: Decodable {
        var code: String
        var message: String
    }

    private struct Trailer: Decodable {
        var error: Body
    }

    /// The error an error reply stands for; a body that is not Berth's error JSON still
    /// yields an error that shows the status and what came.
    static func decode(status: Int, body: [UInt8]) -> BerthError {
        if let decoded = try? JSONDecoder().decode(Body.self, from: Data(body)), let code = ErrorCode(rawValue: decoded.code) {
            return BerthError(code, decoded.message)
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self)
        return BerthError(code(forStatus: status), "HTTP \(status)\(text.isEmpty ? "" : ": \(text)")")
    }

    /// The error a stream line carries, or nil for an ordinary message.
    static func streamTrailer(_ line: [UInt8]) -> BerthError? {
        guard line.starts(with: Array(#"{"error":"#.utf8)),
              let trailer = try? JSONDecoder().decode(Trailer.self, from: Data(line))
        else { return nil }
        return BerthError(ErrorCode(rawValue: trailer.error.code) ?? .unknown, trailer.error.message)
    }

    private static func code(forStatus status: Int) -> ErrorCode {
        switch status {
        case 400, 405, 411: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .alreadyExists
        case 413, 429: .resourceExhausted
        case 499: .cancelled
        case 501: .unimplemented
        case 503: .unavailable
        case 504: .deadlineExceeded
        default: .unknown
        }
    }
}
