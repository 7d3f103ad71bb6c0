#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An absolute `http` or `https` URL, split into what a request needs.
public struct HTTPURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http
        case https

        var defaultPort: Int { self == .http ? 80 : 443 }
    }

    public let scheme: Scheme
    /// The host name (lowercased) or address, IPv6 without brackets.
    public let host: String
    public let port: Int
    /// Path and query, never empty: the origin-form request target.
    public let target: String
    /// `user[:password]` before the host, percent-decoded; only proxy URLs may carry it.
    let user: String?
    let password: String?

    /// Parses an absolute URL; throws the reason it is not a usable http(s) URL.
    public init(parsing text: String) throws(URLParseError) {
        guard let colon = text.firstIndex(of: ":"), text[text.index(after: colon)...].hasPrefix("//") else {
            throw URLParseError(text, "not an absolute URL")
        }
        guard let scheme = Scheme(rawValue: text[..<colon].lowercased()) else {
            throw URLParseError(text, "scheme \"\(text[..<colon])\" is not http or https")
        }
        let rest = text[text.index(colon, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var user: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            if let split = info.firstIndex(of: ":") {
                user = percentDecoded(info[..<split])
                password = percentDecoded(info[info.index(after: split)...])
            } else {
                user = percentDecoded(info)
            }
            authority = authority[authority.index(after: at)...]
        }
        let (host, port) = try Self.splitAuthority(authority, url: text, defaultPort: scheme.defaultPort)
        var target = rest[authorityEnd...]
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = try Self.requestTarget(target, url: text)
        self.user = user
        self.password = password
    }

    private init(scheme: Scheme, host: String, port: Int, target: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
        user = nil
        password = nil
    }

    /// `host[:port]` as the `Host` header and CONNECT carry it: brackets around IPv6, the
    /// port left out when it is the scheme's default (as curl sends it).
    public var authority: String {
        port == scheme.defaultPort ? bracketedHost : "\(bracketedHost):\(port)"
    }

    /// `host:port` with the port always shown, for messages.
    public var hostAndPort: String { "\(bracketedHost):\(port)" }

    public var description: String { "\(scheme.rawValue)://\(authority)\(target)" }

    var bracketedHost: String { host.contains(":") ? "[\(host)]" : host }

    /// Whether both URLs reach the same origin (scheme, host and port), which decides if
    /// credentials may follow a redirect.
    func sameOrigin(as other: HTTPURL) -> Bool {
        scheme == other.scheme && host == other.host && port == other.port
    }

    /// The URL a `Location` value names, resolved against this one (RFC 3986, section 5.2).
    public func resolving(_ reference: String) throws(URLParseError) -> HTTPURL {
        let reference = reference.trimmingSpaces()
        if let colon = reference.firstIndex(of: ":"),
           reference[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
           reference.first?.isLetter == true {
            return try HTTPURL(parsing: reference)
        }
        if reference.hasPrefix("//") { return try HTTPURL(parsing: "\(scheme.rawValue):\(reference)") }
        var part = Substring(reference)
        if let hash = part.firstIndex(of: "#") { part = part[..<hash] }
        let queryStart = part.firstIndex(of: "?") ?? part.endIndex
        let path = part[..<queryStart]
        let query = part[queryStart...]
        let (basePath, baseQuery) = splitTarget()
        let target: String
        if path.isEmpty {
            target = basePath + (query.isEmpty ? baseQuery : String(query))
        } else if path.hasPrefix("/") {
            target = removingDotSegments(String(path)) + query
        } else {
            let directory = basePath[...(basePath.lastIndex(of: "/") ?? basePath.startIndex)]
            target = removingDotSegments(String(directory) + path) + query
        }
        return HTTPURL(scheme: scheme, host: host, port: port, target: try Self.requestTarget(Substring(target), url: reference))
    }

    private func splitTarget() -> (path: String, query: String) {
        guard let question = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<question]), String(target[question...]))
    }

    private static func splitAuthority(_ authority: Substring, url: String, defaultPort: Int) throws(URLParseError) -> (String, Int) {
        var host: Substring
        var portText: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw URLParseError(url, "unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw URLParseError(url, "junk after IPv6 address") }
                portText = after.dropFirst()
            }
            guard case .v6 = IPAddress(String(host)) else { throw URLParseError(url, "bad IPv6 address \"\(host)\"") }
        } else {
            host = authority
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            }
            guard !host.isEmpty else { throw URLParseError(url, "no host") }
            let allowed = host.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._".unicodeScalars.contains(scalar))
            }
            guard allowed else { throw URLParseError(url, "bad host name \"\(host)\"") }
        }
        var port = defaultPort
        if !portText.isEmpty {
            guard portText.count <= 5, let number = Int(portText), (1...65535).contains(number) else {
                throw URLParseError(url, "bad port \"\(portText)\"")
            }
            port = number
        }
        var name = host.lowercased()
        // A fully qualified name's trailing dot names the same host.
        if name.hasSuffix("."), name.count > 1 { name.removeLast() }
        return (name, port)
    }

    /// The path and query as sent on the request line: control characters refused (they
    /// would split the request), spaces and non-ASCII bytes percent-encoded as curl does.
    private static func requestTarget(_ text: Substring, url: String) throws(URLParseError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        if !text.hasPrefix("/") { bytes.append(UInt8(ascii: "/")) }
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F { throw URLParseError(url, "control character in URL") }
            if byte == 0x20 || byte >= 0x80 {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Why a text is not a usable URL.
public struct URLParseError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let reason: String

    init(_ url: String, _ reason: String) {
        self.url = url
        self.reason = reason
    }

    public var description: String { "bad URL \"\(url)\": \(reason)" }
}

/// RFC 3986 section 5.2.4: `.` and `..` segments of a merged path removed.
func removingDotSegments(_ path: String) -> String {
    var output: [Substring] = []
    let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    for (index, segment) in segments.enumerated() {
        let last = index == segments.count - 1
        switch segment {
        case ".":
            if last { output.append("") }
        case "..":
            if !output.isEmpty { output.removeLast() }
            if last { output.append("") }
        default:
            output.append(segment)
        }
    }
    return "/" + output.joined(separator: "/")
}

func percentDecoded(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    var iterator = Array(text.utf8)[...]
    while let byte = iterator.popFirst() {
        if byte == UInt8(ascii: "%"), iterator.count >= 2,
           let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
            bytes.append(value)
            iterator = iterator.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
