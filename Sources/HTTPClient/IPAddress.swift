#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A numeric IPv4 or IPv6 address, as its network-order bytes.
enum IPAddress: Hashable {
    case v4([UInt8])
    case v6([UInt8])

    /// The address a text spells, or nil when it is a name (or nothing valid).
    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }

    var bytes: [UInt8] {
        switch self {
        case .v4(let bytes), .v6(let bytes): bytes
        }
    }

    /// Whether the first `bits` bits of both addresses agree (same family only).
    func matches(_ other: IPAddress, prefixBits bits: Int) -> Bool {
        let (mine, theirs) = (bytes, other.bytes)
        guard mine.count == theirs.count, bits >= 0, bits <= mine.count * 8 else { return false }
        let whole = bits / 8
        guard mine[..<whole] == theirs[..<whole] else { return false }
        let rest = bits % 8
        guard rest > 0 else { return true }
        let mask = UInt8(0xFF) << (8 - rest)
        return mine[whole] & mask == theirs[whole] & mask
    }
}
