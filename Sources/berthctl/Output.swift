import ArgumentParser
import BerthBase
import Foundation
import SwiftProtobuf
import Yams

/// How a command prints what it got: crictl's `-o` values.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case json, yaml, table
}

/// berthctl's views of a JSON document: proto-JSON re-printed crictl's way (sorted keys,
/// two-space indent) or turned into YAML.
extension JSONValue {
    init(parsing bytes: some Collection<UInt8>) throws(BerthError) {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw BerthError(.internal, "invalid JSON from berthd: \(error)")
        }
    }

    /// A proto message in canonical proto3-JSON.
    init(message: some SwiftProtobuf.Message) throws(BerthError) {
        let bytes: [UInt8]
        do {
            bytes = try message.jsonUTF8Bytes()
        } catch {
            throw BerthError(.internal, "encode \(type(of: message)) as JSON: \(error)")
        }
        try self.init(parsing: bytes)
    }

    /// A string that holds JSON becomes that JSON; any other string stays a string, as crictl
    /// shows the verbose `info` maps.
    init(embedded text: String) {
        self = (try? JSONValue(parsing: Array(text.utf8))) ?? .string(text)
    }

    /// Indented JSON with sorted keys, as Go's `json.MarshalIndent` prints a map.
    func prettyJSON(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? "\(value)" : "null"
        case .string(let value): return Self.quoted(value)
        case .array(let values):
            guard !values.isEmpty else { return "[]" }
            let items = values.map { inner + $0.prettyJSON(indent: inner) }
            return "[\n" + items.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            let items = members.keys.sorted().map { key in
                "\(inner)\(Self.quoted(key)): \(members[key, default: .null].prettyJSON(indent: inner))"
            }
            return "{\n" + items.joined(separator: ",\n") + "\n\(indent)}"
        }
    }

    /// The same document as YAML.
    func yaml() throws(BerthError) -> String {
        do {
            return try Yams.serialize(node: node())
        } catch {
            throw BerthError(.internal, "render YAML: \(error)")
        }
    }

    private func node() -> Node {
        switch self {
        case .null: return Node("null", Tag(.null))
        case .bool(let value): return .scalar(value.represented())
        case .int(let value): return .scalar(value.represented())
        case .double(let value): return Node(String(value), Tag(.float))
        case .string(let value): return .scalar(value.represented())
        case .array(let values): return .sequence(Node.Sequence(values.map { $0.node() }))
        case .object(let members):
            let pairs = members.keys.sorted().map { key in
                (Node.scalar(key.represented()), members[key, default: .null].node())
            }
            return .mapping(Node.Mapping(pairs))
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"  // Go escapes these for HTML safety; match crictl byte for byte
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Prints a JSON document as JSON or YAML; `table` is handled by each command itself.
func printDocument(_ document: JSONValue, as format: OutputFormat) throws(BerthError) {
    switch format {
    case .json, .table: print(document.prettyJSON())
    case .yaml: print(try document.yaml(), terminator: "")
    }
}

/// A size the way crictl prints it (go-units `HumanSizeWithPrecision(size, 3)`): decimal
/// units, three significant digits, e.g. `4.27MB`.
func humanSize(_ bytes: UInt64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    var size = Double(bytes)
    var unit = 0
    while size >= 1000, unit < units.count - 1 {
        size /= 1000
        unit += 1
    }
    return String(format: "%.3g", size) + units[unit]
}

/// An image id as crictl shows it: without `sha256:`, cut to 13 characters.
func truncatedID(_ id: String, prefix: String = "sha256:") -> String {
    let bare = id.hasPrefix(prefix) ? String(id.dropFirst(prefix.count)) : id
    return String(bare.prefix(13))
}

/// Column-aligned rows as crictl prints them (Go tabwriter: minimum width 20, padding 3;
/// the last column is left as it is).
struct Table {
    private(set) var rows: [[String]] = []

    init(header: [String]) {
        rows.append(header)
    }

    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    func render() -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() {
                widths[index] = max(widths[index], max(cell.count + 3, 20))
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined()
        }.map { $0 + "\n" }.joined()
    }
}
