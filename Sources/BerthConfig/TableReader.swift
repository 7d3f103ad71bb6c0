import TOMLKit

/// Reads one TOML table key by key, checking types, naming each key by its dotted path in
/// errors, and remembering which keys were read so that any other key is reported as unknown.
struct TableReader {
    private let table: TOMLTable
    /// This table's dotted path (`registry.hosts."docker.io"`), empty for the document.
    let path: String
    private var read: Set<String> = []

    init(_ table: TOMLTable, path: String = "") {
        self.table = table
        self.path = path
    }

    var keys: [String] { table.keys }

    /// The dotted path of `key` in this table, quoting keys that are not bare TOML keys.
    func keyPath(_ key: String) -> String {
        let bare = !key.isEmpty && key.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
        let part = bare ? key : "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        return path.isEmpty ? part : path + "." + part
    }

    mutating func value(_ key: String) -> (any TOMLValueConvertible)? {
        read.insert(key)
        return table[key]
    }

    mutating func string(_ key: String) throws(ConfigIssue) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw mismatch(key, "a string", value) }
        return string
    }

    mutating func int(_ key: String) throws(ConfigIssue) -> Int? {
        guard let value = value(key) else { return nil }
        guard let int = value.int else { throw mismatch(key, "an integer", value) }
        return int
    }

    mutating func bool(_ key: String) throws(ConfigIssue) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.bool else { throw mismatch(key, "true or false", value) }
        return bool
    }

    mutating func table(_ key: String) throws(ConfigIssue) -> TableReader? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw mismatch(key, "a table", value) }
        return TableReader(table, path: keyPath(key))
    }

    mutating func stringArray(_ key: String) throws(ConfigIssue) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else { throw mismatch(key, "an array of strings", value) }
        var strings: [String] = []
        for (position, element) in array.enumerated() {
            guard let string = element.string else {
                throw ConfigIssue("expected a string, got \(typeName(element))").about("\(keyPath(key))[\(position)]")
            }
            strings.append(string)
        }
        return strings
    }

    /// Fails on the first key (in sorted order) that was never read.
    func finish() throws(ConfigIssue) {
        if let unknown = table.keys.sorted().first(where: { !read.contains($0) }) {
            throw ConfigIssue("unknown key \(keyPath(unknown))")
        }
    }

    private func mismatch(_ key: String, _ expected: String, _ value: any TOMLValueConvertible) -> ConfigIssue {
        ConfigIssue("expected \(expected), got \(typeName(value))").about(keyPath(key))
    }
}

/// A TOML value's type as the TOML spec names it.
func typeName(_ value: any TOMLValueConvertible) -> String {
    switch value.type {
    case .string: "string"
    case .int: "integer"
    case .double: "float"
    case .bool: "boolean"
    case .table: "table"
    case .array: "array"
    case .date: "date"
    case .time: "time"
    case .dateTime: "date-time"
    }
}
