import BerthBase
import BerthClient
import Foundation
import SwiftProtobuf

/// One conversation with berthd: the client, the default deadline, and `--debug` tracing.
struct Session: Sendable {
    let client: BerthClient
    let timeout: Duration?
    let debug: Bool

    init(socketPath: String?, timeout: Duration?, debug: Bool) {
        client = BerthClient(socketPath: socketPath ?? BerthClient.defaultSocketPath)
        self.timeout = timeout
        self.debug = debug
    }

    /// crictl takes endpoints as `unix:///path`; a bare path works too.
    static func socketPath(fromEndpoint endpoint: String) -> String {
        endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
    }

    /// Calls a unary CRI method, with the session's deadline unless `timeout` overrides it
    /// (`.some(nil)` means no deadline at all).
    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request,
        as: Response.Type = Response.self,
        timeout: Duration?? = nil
    ) async throws(BerthError) -> Response {
        trace("-> \(method)", request)
        let response = try await client.call(method, request, as: Response.self, timeout: timeout ?? self.timeout)
        trace("<- \(method)", response)
        return response
    }

    /// Posts a Berth-specific JSON body and decodes the JSON reply, turning an error reply
    /// into the `BerthError` it carries.
    func post(_ path: String, json body: [UInt8]) async throws(BerthError) -> [UInt8] {
        trace("-> \(path) \(String(decoding: body, as: UTF8.self))")
        let (status, reply) = try await client.raw(path: path, body: body)
        trace("<- \(path) \(status) \(String(decoding: reply, as: UTF8.self))")
        guard (200..<300).contains(status) else {
            throw WireError.decode(status: status, body: reply, context: path)
        }
        return reply
    }

    func close() async {
        await client.close()
    }

    func trace(_ label: String, _ message: some SwiftProtobuf.Message) {
        guard debug else { return }
        let json = (try? message.jsonString()) ?? "<unencodable>"
        trace("\(label) \(json)")
    }

    func trace(_ line: String) {
        guard debug else { return }
        FileHandle.standardError.write(Data("debug: \(line)\n".utf8))
    }
}

/// The error body berthd answers with: `{"code": "not_found", "message": "…"}`.
enum WireError {
    private struct Body: Decodable {
        var code: String?
        var message: String?
    }

    /// The `BerthError` an error reply carries, or one built from its HTTP status when the
    /// body is not the usual error object.
    static func decode(status: Int, body: [UInt8], context: String) -> BerthError {
        let parsed = try? JSONDecoder().decode(Body.self, from: Data(body))
        let code = parsed?.code.flatMap(ErrorCode.init(rawValue:))
            ?? ErrorCode.allCases.first { $0.httpStatus == status }
            ?? .unknown
        let message = parsed?.message ?? "\(context): HTTP \(status): \(String(decoding: body.prefix(200), as: UTF8.self))"
        return BerthError(code, message)
    }
}

/// CRI method names, as the socket routes them.
enum Method {
    static func runtime(_ name: String) -> String { "runtime.v1.RuntimeService/\(name)" }
    static func image(_ name: String) -> String { "runtime.v1.ImageService/\(name)" }
}
