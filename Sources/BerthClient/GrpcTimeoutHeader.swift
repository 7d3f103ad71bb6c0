/// Writes a `Grpc-Timeout` value: at most eight digits and a unit, choosing the finest
/// unit that fits and rounding up so the server never sees a shorter timeout.
enum GrpcTimeoutHeader {
    static func value(for duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, seconds) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000
        let units: [(divisor: Int64, suffix: String)] = [
            (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"), (3_600_000_000_000, "H"),
        ]
        for unit in units {
            let value = (nanoseconds + unit.divisor - 1) / unit.divisor
            if value <= 99_999_999 { return "\(value)\(unit.suffix)" }
        }
        return "99999999H"
    }
}
