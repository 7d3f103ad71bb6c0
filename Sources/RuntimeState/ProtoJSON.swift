import SwiftProtobuf

/// A CRI message kept inside a Codable record as its canonical proto3-JSON text, so a record
/// file stays readable and the message keeps every field the API sent.
public struct ProtoJSON<Message: SwiftProtobuf.Message & Sendable>: Codable, Sendable {
    public var message: Message

    public init(_ message: Message) {
        self.message = message
    }

    public init(from decoder: any Swift.Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        message = try Message(jsonString: text)
    }

    public func encode(to encoder: any Swift.Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(try message.jsonString())
    }
}
