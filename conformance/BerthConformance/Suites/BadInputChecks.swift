import BerthBase
import CRI
import Foundation

/// "Beyond the CRI suite": bad input on the socket gets a clear error and changes nothing.
enum BadInputChecks {
    static let all: [Check] = [malformedJSON, wrongTypes, oversizedBody, unknownMethod, badInputChangesNothing]

    static let imageStatus = "/runtime.v1.ImageService/ImageStatus"

    static let malformedJSON = Check("input/malformed JSON is refused") { harness in
        for body in [#"{"image": {"image": "busybox""#, "not json", #"{"image": }"#] {
            try await expectRefusal(harness, imageStatus, body, codes: [.invalidArgument])
        }
    }

    static let wrongTypes = Check("input/fields of the wrong type are refused") { harness in
        for body in [#"{"image": {"image": 42}}"#, #"{"verbose": "yes"}"#, #"{"image": "busybox"}"#, "[]"] {
            try await expectRefusal(harness, imageStatus, body, codes: [.invalidArgument])
        }
    }

    static let oversizedBody = Check("input/an oversized body is refused") { harness in
        // Past any sane request: gRPC's default limit is 4 MiB, containerd's 16 MiB.
        let padding = String(repeating: "a", count: 64 << 20)
        try await expectRefusal(
            harness, imageStatus, #"{"image": {"image": "\#(padding)"}}"#,
            codes: [.invalidArgument, .resourceExhausted, .outOfRange], alsoAllowing: [413])
        try await expectStillServing(harness)
    }

    static let unknownMethod = Check("input/an unknown method is refused") { harness in
        for path in [
            "/runtime.v1.ImageService/NoSuchMethod", "/runtime.v1.NoSuchService/Version", "/runtime.v1.RuntimeService/",
        ] {
            try await expectRefusal(harness, path, "{}", codes: [.unimplemented])
        }
    }

    static let badInputChangesNothing = Check("input/refused requests change nothing", uses: ["busybox"]) { harness in
        let reference = harness.reference("busybox:latest")
        try await harness.withClean([reference]) {
            _ = try await harness.pull(reference)
            let before = try await harness.list()
            try await expectRefusal(
                harness, "/runtime.v1.ImageService/RemoveImage", #"{"image": {"image": ["\#(reference)"]}}"#,
                codes: [.invalidArgument])
            try await expectRefusal(
                harness, "/runtime.v1.ImageService/RemoveImage", #"{"image": {"image": "\#(reference)""#,
                codes: [.invalidArgument])
            try await expectRefusal(
                harness, "/runtime.v1.ImageService/PullImage", #"{"image": {"image": "\#(harness.reference("busybox-distinct-1:latest"))"#,
                codes: [.invalidArgument])
            let after = try await harness.list()
            try expectEqual(Set(after.map(\.id)), Set(before.map(\.id)), "image ids after refused requests")
            try expect(try await harness.status(reference) != nil, "\(reference) gone after a refused RemoveImage")
        }
    }

    struct Reply {
        var status: Int
        var error: BerthError
    }

    /// Posts `body` to `path` and fails the check unless berthd answers with an error status
    /// and a `{"code", "message"}` body whose code is one of `codes`; the HTTP status must be
    /// the code's own or one of `alsoAllowing`.
    @discardableResult
    static func expectRefusal(
        _ harness: Harness, _ path: String, _ body: String, codes: Set<ErrorCode>, alsoAllowing: Set<Int> = []
    ) async throws -> Reply {
        let what = "POST \(path) \(body.count > 60 ? "(\(body.utf8.count) bytes)" : body)"
        let (status, reply) = try await harness.client.raw(path: path, body: Array(body.utf8))
        try expect(status >= 400, "\(what): HTTP \(status), want an error status")
        struct ErrorBody: Decodable {
            var code: String
            var message: String
        }
        guard let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(reply)) else {
            throw CheckFailure(
                reason: "\(what): HTTP \(status) without an error object: \(String(decoding: reply.prefix(200), as: UTF8.self))")
        }
        let wanted = codes.map(\.rawValue).sorted().joined(separator: " or ")
        guard let code = ErrorCode(rawValue: error.code), codes.contains(code) else {
            throw CheckFailure(reason: "\(what): code \(error.code) (\(error.message)), want \(wanted)")
        }
        try expect(!error.message.isEmpty, "\(what): \(error.code) with an empty message")
        try expect(
            status == code.httpStatus || alsoAllowing.contains(status),
            "\(what): HTTP \(status) for \(error.code), want \(code.httpStatus)")
        return Reply(status: status, error: BerthError(code, error.message))
    }

    static func expectStillServing(_ harness: Harness) async throws {
        do {
            _ = try await harness.call(
                Method.runtime("Version"), Runtime_V1_VersionRequest(), as: Runtime_V1_VersionResponse.self)
        } catch {
            throw CheckFailure(reason: "berthd stopped answering: \(error)")
        }
    }
}
