import BerthBase
import BerthServer
import CRI
import Foundation
import ImageService
import RuntimeService
import SwiftProtobuf

/// The CRI methods, by service, as the wire names them. Methods without a handler yet answer
/// `unimplemented` with a message saying so.
enum CRIMethods {
    static let runtime = [
        "Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus", "ListPodSandbox",
        "StreamPodSandboxes", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer", "ListContainers",
        "StreamContainers", "ContainerStatus", "UpdateContainerResources", "ReopenContainerLog", "ExecSync", "Exec",
        "Attach", "PortForward", "ContainerStats", "ListContainerStats", "StreamContainerStats", "PodSandboxStats",
        "ListPodSandboxStats", "StreamPodSandboxStats", "UpdateRuntimeConfig", "Status", "CheckpointContainer",
        "CheckpointPod", "RestorePod", "GetContainerEvents", "ListMetricDescriptors", "ListPodSandboxMetrics",
        "StreamPodSandboxMetrics", "RuntimeConfig", "UpdatePodSandboxResources",
    ].map { "/runtime.v1.RuntimeService/\($0)" }
    static let image = [
        "ListImages", "StreamImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo",
    ].map { "/runtime.v1.ImageService/\($0)" }
}

extension Router {
    /// Registers a CRI unary method: the body is the request message in proto3-JSON (empty
    /// means all defaults) and the reply is the response message.
    mutating func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ path: String, _ body: @escaping @Sendable (Request) async throws -> Response
    ) {
        register(path) { request in
            let message: Request = try decodeMessage(request.body, path: path)
            let response = try await body(message)
            return .json(status: 200, body: try response.jsonUTF8Bytes())
        }
    }

    /// Answers every known method without a handler with `unimplemented`.
    mutating func registerUnimplemented(_ paths: [String], except implemented: Set<String>) {
        for path in paths where !implemented.contains(path) {
            register(path) { _ in
                throw BerthError(.unimplemented, "\(path.dropFirst()) is not implemented by this version of berthd")
            }
        }
    }
}

/// Decodes a proto3-JSON request body, naming what was wrong with it.
func decodeMessage<Request: SwiftProtobuf.Message>(_ body: [UInt8], path: String) throws(BerthError) -> Request {
    if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return Request() }
    do {
        return try Request(jsonUTF8Bytes: body)
    } catch let error as JSONDecodingError {
        throw BerthError(.invalidArgument, "\(path.dropFirst()): invalid \(Request.protoMessageName) body: \(describe(error))")
    } catch {
        throw BerthError(.invalidArgument, "\(path.dropFirst()): invalid \(Request.protoMessageName) body: \(error)")
    }
}

private func describe(_ error: JSONDecodingError) -> String {
    switch error {
    case .failure: "malformed JSON"
    case .malformedNumber: "a number is malformed or has the wrong type"
    case .numberRange: "a number is out of range for its field"
    case .malformedMap: "a map field is malformed"
    case .malformedBool: "a boolean field does not hold true or false"
    case .malformedString: "a string field does not hold a valid string"
    case .invalidUTF8: "the body is not valid UTF-8"
    case .missingFieldNames: "object keys are missing"
    case .schemaMismatch: "a value has the wrong type for its field"
    case .unrecognizedEnumValue: "an enum field holds an unknown value"
    case .illegalNull: "null is not allowed there"
    case .unquotedMapKey: "a map key is not quoted"
    case .leadingZero: "a number has a leading zero"
    case .truncated: "the JSON ends too early"
    case .malformedDuration: "a duration is malformed"
    case .malformedTimestamp: "a timestamp is malformed"
    case .malformedFieldMask: "a field mask is malformed"
    case .trailingGarbage: "there is data after the JSON value"
    case .conflictingOneOf: "two members of a oneof are set"
    case .messageDepthLimit: "the JSON nests too deeply"
    case .unknownField(let name): "unknown field \"\(name)\""
    @unknown default: "\(error)"
    }
}
