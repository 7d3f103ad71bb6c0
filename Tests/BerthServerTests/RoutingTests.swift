import BerthBase
import BerthClient
import BerthServer
import CRI
import Foundation
import Testing

@Suite struct RoutingTests {
    /// A Version handler that answers with what the request asked for.
    static func versionRoute(_ router: inout Router) {
        router.register("/runtime.v1.RuntimeService/Version") { request in
            let asked = try Runtime_V1_VersionRequest(jsonUTF8Bytes: request.body)
            var reply = Runtime_V1_VersionResponse()
            reply.version = asked.version
            reply.runtimeName = "berth"
            reply.runtimeApiVersion = "v1"
            return .ok(try reply.jsonUTF8Bytes())
        }
    }

    @Test func roundTripThroughTheClient() async throws {
        try await withTestServer(configure: Self.versionRoute) { _, client in
            let version = try await client.version()
            #expect(version.version == "v1")
            #expect(version.runtimeName == "berth")
            #expect(version.runtimeApiVersion == "v1")
        }
    }

    @Test(.enabled(if: curlAvailable, "needs /usr/bin/curl"))
    func roundTripThroughCurl() async throws {
        try await withTestServer(configure: Self.versionRoute) { server, _ in
            let result = try await curl(
                socket: server.socketPath, path: "/runtime.v1.RuntimeService/Version",
                arguments: ["-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"version":"v1"}"#])
            #expect(result.status == 200)
            #expect(result.headers.lowercased().contains("content-type: application/json"))
            let reply = try Runtime_V1_VersionResponse(jsonString: result.body)
            #expect(reply.runtimeName == "berth")
        }
    }

    @Test(arguments: [
        ("/runtime.v1.ImageService/Foo", "unknown method runtime.v1.ImageService/Foo"),
        ("/other.v9.Service/Bar", "unknown method other.v9.Service/Bar"),
        ("/", "unknown method /"),
    ])
    func unknownMethodIsUnimplemented(path: String, message: String) async throws {
        try await withTestServer(configure: Self.versionRoute) { _, client in
            let reply = try await client.raw(path: path, body: Array("{}".utf8))
            #expect(reply.status == 501)
            let error = try #require(errorBody(reply.body))
            #expect(error.code == "unimplemented")
            #expect(error.message == message)
        }
    }

    @Test func unknownMethodThrowsFromCall() async throws {
        try await withTestServer(configure: Self.versionRoute) { _, client in
            let error = await #expect(throws: BerthError.self) {
                _ = try await client.call("runtime.v1.ImageService/Foo", Runtime_V1_ImageFsInfoRequest(),
                                          as: Runtime_V1_ImageFsInfoResponse.self)
            }
            #expect(error == BerthError(.unimplemented, "unknown method runtime.v1.ImageService/Foo"))
        }
    }

    @Test(.enabled(if: curlAvailable, "needs /usr/bin/curl"), arguments: ["GET", "PUT", "DELETE"])
    func wrongHTTPMethodIs405(method: String) async throws {
        try await withTestServer(configure: Self.versionRoute) { server, _ in
            let result = try await curl(socket: server.socketPath, path: "/runtime.v1.RuntimeService/Version",
                                        arguments: ["-X", method])
            #expect(result.status == 405)
            #expect(result.headers.lowercased().contains("allow: post"))
            let error = try #require(errorBody(Array(result.body.utf8)))
            #expect(error.code == "invalid_argument")
            #expect(error.message == "method \(method) not allowed; use POST")
        }
    }

    @Test(arguments: [
        (ErrorCode.notFound, 404), (.invalidArgument, 400), (.alreadyExists, 409), (.failedPrecondition, 400),
        (.unimplemented, 501), (.internal, 500), (.resourceExhausted, 429), (.unavailable, 503),
    ])
    func handlerErrorsKeepTheirCode(code: ErrorCode, status: Int) async throws {
        try await withTestServer(configure: { router in
            router.register("/runtime.v1.ImageService/RemoveImage") { _ in
                throw BerthError(code, "image busybox: it broke")
            }
        }) { _, client in
            let reply = try await client.raw(path: "/runtime.v1.ImageService/RemoveImage", body: Array("{}".utf8))
            #expect(reply.status == status)
            let error = try #require(errorBody(reply.body))
            #expect(error.code == code.rawValue)
            #expect(error.message == "image busybox: it broke")

            await #expect(throws: BerthError(code, "image busybox: it broke")) {
                try await client.removeImage("busybox")
            }
        }
    }

    struct Unexpected: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    @Test func otherErrorsAreInternal() async throws {
        try await withTestServer(configure: { router in
            router.register("/runtime.v1.ImageService/ImageFsInfo") { _ in throw Unexpected() }
        }) { _, client in
            await #expect(throws: BerthError(.internal, "disk on fire")) {
                _ = try await client.imageFsInfo()
            }
        }
    }

    @Test func headersAndPathReachTheHandler() async throws {
        try await withTestServer(configure: { router in
            router.register("/runtime.v1.RuntimeService/Status") { request in
                json(["path": request.path, "method": request.method, "probe": request.header("X-Probe") ?? "",
                      "body": request.body.text])
            }
        }) { _, client in
            let reply = try await client.raw(
                path: "/runtime.v1.RuntimeService/Status?verbose=1", body: Array(#"{"verbose":true}"#.utf8),
                headers: [("X-Probe", "yes")])
            #expect(reply.status == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: String])
            #expect(object == ["path": "/runtime.v1.RuntimeService/Status", "method": "POST", "probe": "yes",
                               "body": #"{"verbose":true}"#])
        }
    }

    @Test func prefixRoutesServeMintedPaths() async throws {
        try await withTestServer(configure: { router in
            router.registerPrefix("/exec/", methods: ["GET", "POST"]) { request in
                json(["token": String(request.path.dropFirst("/exec/".count))])
            }
        }) { _, client in
            let reply = try await client.raw(method: "GET", path: "/exec/abc123", body: [])
            #expect(reply.status == 200)
            #expect(reply.body.text == #"{"token":"abc123"}"#)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withTestServer(configure: { router in
            router.register("/slow") { request in
                try await Task.sleep(for: .milliseconds(200))
                return json(["echo": request.body.text])
            }
            router.register("/fast") { request in json(["echo": request.body.text]) }
        }) { server, _ in
            let path = server.socketPath
            let replies = try await blocking {
                let socket = try RawSocket(path: path)
                let requests = [("/slow", "one"), ("/fast", "two"), ("/slow", "three")].map { path, body in
                    "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                }
                socket.send(requests.joined())
                return socket.read(until: "\"}", times: 3).text
            }
            let echoes = replies.components(separatedBy: "{\"echo\":").dropFirst().map { $0.prefix(while: { $0 != "}" }) }
            #expect(echoes == ["\"one\"", "\"two\"", "\"three\""])
            #expect(replies.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
        }
    }

    @Test func malformedHTTPGetsAClearError() async throws {
        try await withTestServer(configure: Self.versionRoute) { server, _ in
            let path = server.socketPath
            let reply = try await blocking {
                let socket = try RawSocket(path: path)
                socket.send("THIS IS NOT HTTP\r\n\r\n")
                return socket.readToEnd().text
            }
            #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(reply.contains(#""code":"invalid_argument""#))
            #expect(reply.contains("malformed HTTP request"))
        }
    }
}
