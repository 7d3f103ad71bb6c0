import BerthBase
import BerthClient
import BerthServer
import Testing

@Suite struct StreamingTests {
    static let events = "/runtime.v1.RuntimeService/GetContainerEvents"

    static func messages(_ lines: [String], thenThrow error: (any Error)? = nil) -> (inout Router) -> Void {
        { router in
            router.register(events) { _ in
                .stream(AsyncThrowingStream { continuation in
                    for line in lines { continuation.yield(Array(line.utf8)) }
                    continuation.finish(throwing: error)
                })
            }
        }
    }

    @Test func streamYieldsOneElementPerMessage() async throws {
        let lines = [#"{"containerId":"a"}"#, #"{"containerId":"b"}"# + "\n", #"{"containerId":"c"}"#]
        try await withTestServer(configure: Self.messages(lines)) { _, client in
            var received: [String] = []
            for try await line in client.stream(Self.events, body: Array("{}".utf8)) {
                received.append(line.text)
            }
            #expect(received == [#"{"containerId":"a"}"#, #"{"containerId":"b"}"#, #"{"containerId":"c"}"#])
        }
    }

    @Test func streamErrorEndsTheClientStream() async throws {
        let failure = BerthError(.notFound, "container x: not found")
        try await withTestServer(configure: Self.messages([#"{"n":1}"#], thenThrow: failure)) { _, client in
            var received: [String] = []
            await #expect(throws: failure) {
                for try await line in client.stream(Self.events, body: []) {
                    received.append(line.text)
                }
            }
            #expect(received == [#"{"n":1}"#])
        }
    }

    @Test func handlerErrorBeforeTheStreamIsAnErrorReply() async throws {
        try await withTestServer(configure: { router in
            router.register(Self.events) { _ in throw BerthError(.invalidArgument, "bad filter") }
        }) { _, client in
            await #expect(throws: BerthError(.invalidArgument, "bad filter")) {
                for try await _ in client.stream(Self.events, body: []) {}
            }
        }
    }

    @Test(.enabled(if: curlAvailable, "needs /usr/bin/curl"))
    func curlSeesChunkedNDJSON() async throws {
        try await withTestServer(configure: Self.messages([#"{"n":1}"#, #"{"n":2}"#])) { server, _ in
            let result = try await curl(socket: server.socketPath, path: Self.events, arguments: ["-X", "POST", "--data", "{}"])
            #expect(result.status == 200)
            #expect(result.headers.lowercased().contains("transfer-encoding: chunked"))
            #expect(result.headers.lowercased().contains("content-type: application/x-ndjson"))
            #expect(result.body == "{\"n\":1}\n{\"n\":2}\n")
        }
    }

    /// Stopping the iteration hangs up, and the server stops producing.
    @Test func abandoningTheStreamCancelsTheProducer() async throws {
        let probe = Probe()
        try await withTestServer(configure: { router in
            router.register(Self.events) { _ in
                probe.called()
                return .stream(AsyncThrowingStream { continuation in
                    let producer = Task {
                        var n = 0
                        while !Task.isCancelled {
                            n += 1
                            continuation.yield(Array(#"{"n":\#(n)}"#.utf8))
                            try? await Task.sleep(for: .milliseconds(10))
                        }
                    }
                    continuation.onTermination = { _ in
                        producer.cancel()
                        probe.sawCancellation()
                    }
                })
            }
        }) { _, client in
            var count = 0
            for try await _ in client.stream(Self.events, body: []) {
                count += 1
                if count == 3 { break }
            }
            #expect(count == 3)
            #expect(await probe.eventually { probe.cancelled == 1 })
        }
    }

    @Test func deadlineEndsAStreamWithATrailer() async throws {
        try await withTestServer(configure: { router in
            router.register(Self.events) { _ in
                .stream(AsyncThrowingStream { continuation in
                    continuation.yield(Array(#"{"n":1}"#.utf8))
                    // Never finishes: only the deadline ends it.
                })
            }
        }) { server, _ in
            let result = try await curl(socket: server.socketPath, path: Self.events,
                                        arguments: ["-X", "POST", "-H", "Grpc-Timeout: 2S", "--data", "{}"])
            #expect(result.status == 200)
            let lines = result.body.split(separator: "\n")
            #expect(lines.first == #"{"n":1}"#)
            #expect(lines.last?.hasPrefix(#"{"error":{"code":"deadline_exceeded""#) == true)
        }
    }
}
