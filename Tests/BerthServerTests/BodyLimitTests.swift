import BerthBase
import BerthClient
import BerthServer
import Foundation
import Testing

@Suite struct BodyLimitTests {
    static let limit = 1024

    static func counting(_ probe: Probe) -> (inout Router) -> Void {
        { router in
            router.register("/runtime.v1.ImageService/PullImage") { request in
                probe.called()
                return json(["size": "\(request.body.count)"])
            }
        }
    }

    @Test func bodyAtTheLimitIsServed() async throws {
        let probe = Probe()
        try await withTestServer(maxBodyBytes: Self.limit, configure: Self.counting(probe)) { _, client in
            let reply = try await client.raw(path: "/runtime.v1.ImageService/PullImage", body: Array(repeating: 0x20, count: Self.limit))
            #expect(reply.status == 200)
            #expect(reply.body.text == #"{"size":"1024"}"#)
        }
    }

    @Test(arguments: [5000, 8 << 20])
    func oversizedBodyIs413WithoutCallingTheHandler(size: Int) async throws {
        let probe = Probe()
        try await withTestServer(maxBodyBytes: Self.limit, configure: Self.counting(probe)) { _, client in
            let reply = try await client.raw(path: "/runtime.v1.ImageService/PullImage", body: Array(repeating: 0x20, count: size))
            #expect(reply.status == 413)
            let error = try #require(errorBody(reply.body))
            #expect(error.code == "resource_exhausted")
            #expect(error.message == "request body of \(size) bytes exceeds the limit of 1024")
            #expect(probe.calls == 0)
        }
    }

    /// The head alone claims too much: the answer comes before any body byte is sent.
    @Test func declaredLengthOverTheLimitIsRefusedBeforeTheBody() async throws {
        let probe = Probe()
        try await withTestServer(maxBodyBytes: Self.limit, configure: Self.counting(probe)) { server, _ in
            let path = server.socketPath
            let reply = try await blocking {
                let socket = try RawSocket(path: path)
                socket.send("POST /runtime.v1.ImageService/PullImage HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
                return socket.readToEnd().text
            }
            #expect(reply.hasPrefix("HTTP/1.1 413"))
            #expect(reply.lowercased().contains("connection: close"))
            #expect(reply.contains("request body of 100000000 bytes exceeds the limit of 1024"))
            #expect(probe.calls == 0)
        }
    }

    /// A chunked upload has no length up front: it is cut off once it passes the limit, and the
    /// connection closes although the client never finished the body.
    @Test func chunkedUploadOverTheLimitIsCutOff() async throws {
        let probe = Probe()
        try await withTestServer(maxBodyBytes: Self.limit, configure: Self.counting(probe)) { server, _ in
            let path = server.socketPath
            let reply = try await blocking {
                let socket = try RawSocket(path: path)
                socket.send("POST /runtime.v1.ImageService/PullImage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = "200\r\n" + String(repeating: "a", count: 0x200) + "\r\n"
                for _ in 0..<3 { socket.send(chunk) }
                // No terminating chunk: the server must answer without waiting for one.
                return socket.readToEnd().text
            }
            #expect(reply.hasPrefix("HTTP/1.1 413"))
            #expect(reply.contains("request body of at least 1536 bytes exceeds the limit of 1024"))
            #expect(probe.calls == 0)
        }
    }

    @Test func chunkedUploadWithinTheLimitIsServed() async throws {
        let probe = Probe()
        try await withTestServer(maxBodyBytes: Self.limit, configure: Self.counting(probe)) { server, _ in
            let path = server.socketPath
            let reply = try await blocking {
                let socket = try RawSocket(path: path)
                socket.send("POST /runtime.v1.ImageService/PullImage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                socket.send("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n")
                return socket.readToEnd().text
            }
            #expect(reply.hasPrefix("HTTP/1.1 200"))
            #expect(reply.hasSuffix(#"{"size":"8"}"#))
        }
    }

    /// A Content-Length smaller than what follows: the handler gets exactly the declared
    /// bytes, and the rest is parsed as a next request (here garbage, so 400).
    @Test func understatedLengthNeverHandsOverMoreThanDeclared() async throws {
        let probe = Probe()
        try await withTestServer(maxBodyBytes: Self.limit, configure: Self.counting(probe)) { server, _ in
            let path = server.socketPath
            let reply = try await blocking {
                let socket = try RawSocket(path: path)
                socket.send("POST /runtime.v1.ImageService/PullImage HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                            + "hello" + String(repeating: "x", count: 4000) + "\r\n\r\n")
                return socket.readToEnd().text
            }
            #expect(reply.hasPrefix("HTTP/1.1 200"))
            #expect(reply.contains(#"{"size":"5"}"#))
            #expect(reply.contains("HTTP/1.1 400"))
            #expect(probe.calls == 1)
        }
    }

    @Test(.enabled(if: curlAvailable, "needs /usr/bin/curl"), arguments: [false, true])
    func curlUploadOverTheLimit(chunked: Bool) async throws {
        let probe = Probe()
        try await withTemporaryDirectory { directory in
            let file = "\(directory)/body.json"
            try Data(repeating: 0x20, count: 200_000).write(to: URL(fileURLWithPath: file))
            try await withTestServer(maxBodyBytes: Self.limit, configure: Self.counting(probe)) { server, _ in
                var arguments = ["-X", "POST", "--data-binary", "@\(file)"]
                if chunked { arguments += ["-H", "Transfer-Encoding: chunked"] }
                let result = try await curl(socket: server.socketPath, path: "/runtime.v1.ImageService/PullImage",
                                            arguments: arguments)
                #expect(result.status == 413)
                let error = try #require(errorBody(Array(result.body.utf8)))
                #expect(error.code == "resource_exhausted")
                #expect(probe.calls == 0)
            }
        }
    }
}
