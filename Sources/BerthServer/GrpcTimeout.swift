import BerthBase

/// The `Grpc-Timeout` header: up to eight ASCII digits and a unit, `H` hours, `M` minutes,
/// `S` seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds (gRPC over HTTP/2 spec).
enum GrpcTimeout {
    static func parse(_ text: String) throws(BerthError) -> Duration {
        let digits = text.dropLast()
        guard let unit = text.last, (1...8).contains(digits.count),
              digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits)
        else {
            throw malformed(text)
        }
        switch unit {
        case "H": return .seconds(value * 3600)
        case "M": return .seconds(value * 60)
        case "S": return .seconds(value)
        case "m": return .milliseconds(value)
        case "u": return .microseconds(value)
        case "n": return .nanoseconds(value)
        default: throw malformed(text)
        }
    }

    private static func malformed(_ text: String) -> BerthError {
        BerthError(.invalidArgument, "malformed Grpc-Timeout header \"\(text)\": expected 1 to 8 digits and a unit (H, M, S, m, u or n)")
    }
}
