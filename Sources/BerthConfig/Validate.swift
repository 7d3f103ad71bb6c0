import Foundation
import Logging
import OCIImage

/// The checks every setting passes, whether it comes from the file or from a flag; `key`
/// (a dotted key or a flag name) starts the message of any problem found.
enum Validate {
    /// `sun_path` holds 108 bytes, one of them the terminating NUL.
    static let maxSocketPathBytes = 107
    static let requestBytesRange = 4096...(1 << 30)
    static let concurrencyRange = 1...64
    static let pluginTimeoutRange = 1...3600

    static func directory(_ path: String, key: String) throws(ConfigIssue) -> String {
        guard !path.isEmpty else { throw ConfigIssue("\(key): must not be empty") }
        guard path.hasPrefix("/") else { throw ConfigIssue("\(key): must be an absolute path, got \"\(path)\"") }
        guard !path.utf8.contains(0) else { throw ConfigIssue("\(key): must not contain a NUL byte") }
        return path
    }

    static func cgroupRoot(_ path: String, key: String) throws(ConfigIssue) -> String {
        let parts = path.split(separator: "/")
        guard !parts.isEmpty, !path.hasPrefix("/"), !parts.contains(".."), !parts.contains("."), !path.utf8.contains(0) else {
            throw ConfigIssue("\(key): must be a relative cgroup path like \"berth\", got \"\(path)\"")
        }
        return parts.joined(separator: "/")
    }

    static func socketPath(_ path: String, key: String) throws(ConfigIssue) -> String {
        let path = try directory(path, key: key)
        guard path.utf8.count <= maxSocketPathBytes else {
            throw ConfigIssue("\(key): \"\(path)\" is \(path.utf8.count) bytes long, more than the \(maxSocketPathBytes) a Unix socket path may have")
        }
        guard !path.hasSuffix("/") else { throw ConfigIssue("\(key): \"\(path)\" names a directory, not a socket") }
        return path
    }

    /// An octal permission string such as `0660` or `660`.
    static func socketMode(_ text: String, key: String) throws(ConfigIssue) -> UInt32 {
        let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        guard !digits.isEmpty, digits.utf8.count <= 6, let mode = UInt32(digits, radix: 8) else {
            throw ConfigIssue("\(key): expected an octal string like \"0660\", got \"\(text)\"")
        }
        // Set-id and sticky bits mean nothing on a socket.
        guard mode <= 0o777 else {
            throw ConfigIssue("\(key): mode \(text) out of range (0000 to 0777)")
        }
        return mode
    }

    /// A group name (`[A-Za-z_][A-Za-z0-9_.-]*`, as useradd accepts) or a numeric gid.
    static func group(_ name: String, key: String) throws(ConfigIssue) -> String {
        let bytes = Array(name.utf8)
        func isNameByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
        guard let first = bytes.first, first != UInt8(ascii: "-"), bytes.count <= 32, bytes.allSatisfy(isNameByte) else {
            throw ConfigIssue("\(key): \"\(name)\" is not a group name or number")
        }
        return name
    }

    static func logLevel(_ text: String, key: String) throws(ConfigIssue) -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigIssue("\(key): unknown level \"\(text)\" (want one of \(names))")
        }
        return level
    }

    static func maxRequestBytes(_ value: Int, key: String) throws(ConfigIssue) -> Int {
        guard requestBytesRange.contains(value) else {
            throw ConfigIssue("\(key): \(value) out of range (\(requestBytesRange.lowerBound) to \(requestBytesRange.upperBound))")
        }
        return value
    }

    static func concurrency(_ value: Int, key: String) throws(ConfigIssue) -> Int {
        guard concurrencyRange.contains(value) else {
            throw ConfigIssue("\(key): \(value) out of range (\(concurrencyRange.lowerBound) to \(concurrencyRange.upperBound))")
        }
        return value
    }

    /// Seconds one CNI plugin run may take.
    static func pluginTimeout(_ value: Int, key: String) throws(ConfigIssue) -> Int {
        guard pluginTimeoutRange.contains(value) else {
            throw ConfigIssue("\(key): \(value) seconds out of range (\(pluginTimeoutRange.lowerBound) to \(pluginTimeoutRange.upperBound))")
        }
        return value
    }

    static func platform(_ text: String, key: String) throws(ConfigIssue) -> Platform {
        do {
            return try Platform(parsing: text)
        } catch {
            throw ConfigIssue("\(key): \(error.message)")
        }
    }

    /// A registry host as image references name it: `registry.k8s.io`, `127.0.0.1:5000`, `[::1]:5000`.
    static func hostName(_ name: String, key: String) throws(ConfigIssue) -> String {
        let problem = ConfigIssue("\(key): not a registry host (want host or host:port, like \"registry.k8s.io\" or \"127.0.0.1:5000\")")
        guard let components = URLComponents(string: "//" + name), let host = components.host, !host.isEmpty,
              components.path.isEmpty, components.query == nil, components.fragment == nil,
              components.user == nil, components.password == nil
        else { throw problem }
        let hostBytes = host.hasPrefix("[") ? Array(host.utf8.dropFirst().dropLast()) : Array(host.utf8)
        let allowed = hostBytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"):
                true
            default:
                false
            }
        }
        guard allowed, !name.hasSuffix(":") else { throw problem }
        // References spell Docker Hub `docker.io`, whatever the user wrote.
        return name == "index.docker.io" ? "docker.io" : name
    }

    /// A mirror endpoint: an http or https URL with a host, and no query, fragment or credentials.
    static func mirror(_ text: String, key: String) throws(ConfigIssue) -> URL {
        let lowered = text.lowercased()
        // Checked before parsing: `127.0.0.1:5000` is the likely mistake, and not a URL at all.
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw ConfigIssue("\(key): \"\(text)\" must start with http:// or https://")
        }
        guard let components = URLComponents(string: text), let url = components.url else {
            throw ConfigIssue("\(key): \"\(text)\" is not a URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ConfigIssue("\(key): \"\(text)\" has no host")
        }
        guard components.query == nil else { throw ConfigIssue("\(key): \"\(text)\" must not have a query") }
        guard components.fragment == nil else { throw ConfigIssue("\(key): \"\(text)\" must not have a fragment") }
        guard components.user == nil, components.password == nil else {
            throw ConfigIssue("\(key): \"\(text)\" must not hold credentials")
        }
        return url
    }
}
