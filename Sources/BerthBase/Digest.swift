/// A content digest, `algorithm:encoded`. Berth stores and verifies sha256 only; other
/// algorithms are refused at parse time so no unverifiable content is ever accepted.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let algorithm: String
    public let encoded: String

    public init(parsing text: String) throws(BerthError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw BerthError(.invalidArgument, "invalid digest \"\(text)\": missing algorithm")
        }
        let algorithm = String(text[..<colon])
        let encoded = String(text[text.index(after: colon)...])
        guard algorithm == "sha256" else {
            throw BerthError(.invalidArgument, "invalid digest \"\(text)\": unsupported algorithm \"\(algorithm)\"")
        }
        guard encoded.utf8.count == 64, encoded.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw BerthError(.invalidArgument, "invalid digest \"\(text)\": want 64 lowercase hex digits")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// A sha256 digest from its 64 hex digits, already known to be well formed.
    public init(sha256Hex: String) {
        self.algorithm = "sha256"
        self.encoded = sha256Hex
    }

    public var description: String { "\(algorithm):\(encoded)" }

    /// The first 12 hex digits, as `crictl` and `docker` show image ids.
    public var short: String { String(encoded.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Digest(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
