import BerthBase
import Foundation

/// The JSON body of an error reply, `{"code":"not_found","message":"…"}`, and the last
/// line of a stream that ended with an error, `{"error":{…}}`.
struct WireError: Codable {
    var code: String
    var message: String

    init(_ error: BerthError) {
        code = error.code.rawValue
        message = error.message
    }

    /// The error reply body for `error`.
    static func body(_ error: BerthError) -> [UInt8] {
        encode(WireError(error))
    }

    /// The final line of a stream that ended because of `error`, newline included.
    static func streamTrailer(_ error: BerthError) -> [UInt8] {
        encode(["error": WireError(error)]) + [UInt8(ascii: "\n")]
    }

    private static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding two strings cannot fail; the fallback only keeps the signature total.
        return (try? Array(encoder.encode(value))) ?? Array(#"{"code":"internal","message":"unencodable error"}"#.utf8)
    }
}

extension BerthError {
    /// Any error a handler threw, as the wire error to answer with.
    static func fromHandler(_ error: any Error) -> BerthError {
        switch error {
        case let error as BerthError: error
        case is CancellationError: BerthError(.cancelled, "request cancelled")
        default: BerthError(.internal, "\(error)")
        }
    }
}
