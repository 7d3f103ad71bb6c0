import BerthBase
import CRI
import Foundation
import SwiftProtobuf
import Yams

/// The pod and container config files `runp`, `create` and `run` take, in crictl's forms:
/// JSON or YAML, with proto field names (`log_directory`) or their JSON names (`logDirectory`).
enum ConfigFile {
    /// Reads `path` as a `Message`; `kind` ("pod config", "container config") names it in errors.
    static func load<Message: SwiftProtobuf.Message>(
        _ path: String, as: Message.Type = Message.self, kind: String
    ) throws(BerthError) -> Message {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw BerthError(.invalidArgument, "\(kind) \(path): \(reason)")
        }
        return try parse(Array(data), as: Message.self, source: "\(kind) \(path)")
    }

    /// Parses a config document; `source` starts every error message.
    static func parse<Message: SwiftProtobuf.Message>(
        _ bytes: [UInt8], as: Message.Type = Message.self, source: String
    ) throws(BerthError) -> Message {
        let tree = try document(bytes, source: source)
        guard case .object(let fields) = tree else {
            throw BerthError(.invalidArgument, "\(source): expected a mapping of fields at the top, found \(tree.kind)")
        }
        do {
            return try Message(jsonString: JSONValue.object(fields).prettyJSON())
        } catch {
            // SwiftProtobuf does not say where it stopped; decoding each top-level field on its
            // own finds the one at fault.
            let culprit = fields.keys.sorted().first { key in
                (try? Message(jsonString: JSONValue.object([key: fields[key, default: .null]]).prettyJSON())) == nil
            }
            let place = culprit.map { "field \"\($0)\": " } ?? ""
            throw BerthError(
                .invalidArgument, "\(source): \(place)\(describe(error)) (in \(Message.protoMessageName))")
        }
    }

    /// The document as a JSON tree. JSON is parsed as JSON so that its errors read as JSON
    /// errors; anything else is YAML, whose scalars keep their resolved types.
    static func document(_ bytes: [UInt8], source: String) throws(BerthError) -> JSONValue {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let first = text.first(where: { !$0.isWhitespace }) else {
            throw BerthError(.invalidArgument, "\(source): the file is empty")
        }
        if first == "{" || first == "[" {
            do {
                return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            } catch {
                throw BerthError(.invalidArgument, "\(source): invalid JSON: \(describeJSON(error))")
            }
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw BerthError(.invalidArgument, "\(source): invalid YAML: \(error)")
        }
        guard let node else { throw BerthError(.invalidArgument, "\(source): the file is empty") }
        return try JSONValue(yaml: node, source: source)
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? JSONDecodingError else { return "\(error)" }
        switch error {
        case .unknownField(let name): return "unknown field \"\(name)\""
        case .unrecognizedEnumValue: return "a value that is not one of the field's enum names"
        case .malformedNumber, .numberRange: return "a number that is malformed or out of range"
        case .malformedString: return "expected text (quote values such as 1 or true that are meant as text)"
        case .malformedBool: return "a value that should be true or false"
        case .failure: return "a value of the wrong type (e.g. text where a mapping or list is expected)"
        default: return "\(error)"
        }
    }

    private static func describeJSON(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .dataCorrupted(let context):
            return (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
                ?? context.debugDescription
        default:
            return "\(error)"
        }
    }
}

extension JSONValue {
    /// The JSON form of a composed YAML node: scalars by their resolved tag, mappings with
    /// string keys only (as JSON objects need).
    init(yaml node: Node, source: String) throws(BerthError) {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: self = .null
            case .bool: self = .bool(node.bool ?? false)
            case .int:
                guard let value = Int64(exactly: node.int ?? 0), node.int != nil else {
                    throw BerthError(.invalidArgument, "\(source): \(scalar.string) is not a 64-bit integer")
                }
                self = .int(value)
            case .float: self = .double(node.float ?? 0)
            default: self = .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence {
                items.append(try JSONValue(yaml: item, source: source))
            }
            self = .array(items)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    throw BerthError(.invalidArgument, "\(source): a mapping key is not plain text")
                }
                members[name.string] = try JSONValue(yaml: value, source: source)
            }
            self = .object(members)
        case .alias:
            throw BerthError(.invalidArgument, "\(source): YAML aliases are not supported")
        }
    }

    /// What kind of value this is, for error messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "text"
        case .array: "a list"
        case .object: "a mapping"
        }
    }
}
