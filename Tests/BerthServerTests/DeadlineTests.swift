import BerthBase
import BerthClient
@testable import BerthServer
import CRI
import Testing

@Suite struct DeadlineTests {
    /// A handler that would take ten seconds unless cancelled.
    static func sleeper(_ probe: Probe) -> (inout Router) -> Void {
        { router in
            router.register("/runtime.v1.ImageService/PullImage") { request in
                probe.called()
                do {
                    try await Task.sleep(for: .seconds(10))
                } catch {
                    probe.sawCancellation()
                    throw error
                }
                return json([:])
            }
        }
    }

    @Test func passedDeadlineCancelsTheHandlerAndAnswers504() async throws {
        let probe = Probe()
        try await withTestServer(configure: Self.sleeper(probe)) { _, client in
            let started = ContinuousClock.now
            let reply = try await client.raw(path: "/runtime.v1.ImageService/PullImage", body: Array("{}".utf8),
                                             headers: [("Grpc-Timeout", "200m")])
            let elapsed = started.duration(to: .now)
            #expect(reply.status == 504)
            let error = try #require(errorBody(reply.body))
            #expect(error.code == "deadline_exceeded")
            #expect(error.message.contains("runtime.v1.ImageService/PullImage"))
            #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(3))
            #expect(await probe.eventually { probe.cancelled == 1 })
        }
    }

    @Test func clientTimeoutTravelsAsGrpcTimeout() async throws {
        let probe = Probe()
        try await withTestServer(configure: Self.sleeper(probe)) { _, client in
            let error = await #expect(throws: BerthError.self) {
                _ = try await client.pullImage("busybox", timeout: .milliseconds(300))
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(await probe.eventually { probe.cancelled == 1 })
        }
    }

    @Test func handlerSeesTheDeadline() async throws {
        try await withTestServer(configure: { router in
            router.register("/runtime.v1.RuntimeService/Status") { request in
                let remaining = request.deadline.map { ContinuousClock.now.duration(to: $0) }
                return json(["remaining": remaining.map { $0 > .seconds(50) && $0 <= .seconds(60) ? "about a minute" : "\($0)" } ?? "none"])
            }
        }) { _, client in
            let timed = try await client.raw(path: "/runtime.v1.RuntimeService/Status", body: [], headers: [("Grpc-Timeout", "1M")])
            #expect(timed.body.text == #"{"remaining":"about a minute"}"#)
            let untimed = try await client.raw(path: "/runtime.v1.RuntimeService/Status", body: [])
            #expect(untimed.body.text == #"{"remaining":"none"}"#)
        }
    }

    @Test func zeroTimeoutNeverCallsTheHandler() async throws {
        let probe = Probe()
        try await withTestServer(configure: Self.sleeper(probe)) { _, client in
            let reply = try await client.raw(path: "/runtime.v1.ImageService/PullImage", body: [], headers: [("Grpc-Timeout", "0n")])
            #expect(reply.status == 504)
            #expect(probe.calls == 0)
        }
    }

    @Test(arguments: ["", "5", "m", "10s", "123456789S", "-5S", "1.5S", "5 S"])
    func malformedGrpcTimeoutIsInvalidArgument(header: String) async throws {
        let probe = Probe()
        try await withTestServer(configure: Self.sleeper(probe)) { _, client in
            let reply = try await client.raw(path: "/runtime.v1.ImageService/PullImage", body: [], headers: [("Grpc-Timeout", header)])
            #expect(reply.status == 400)
            let error = try #require(errorBody(reply.body))
            #expect(error.code == "invalid_argument")
            #expect(error.message.hasPrefix("malformed Grpc-Timeout header \"\(header)\""))
            #expect(probe.calls == 0)
        }
    }

    @Test(arguments: ["1H", "2M", "30S", "20000m", "99999999u"])
    func wellFormedGrpcTimeoutIsAccepted(header: String) async throws {
        try await withTestServer(configure: { router in
            router.register("/x") { _ in json([:]) }
        }) { _, client in
            let reply = try await client.raw(path: "/x", body: [], headers: [("Grpc-Timeout", header)])
            #expect(reply.status == 200)
        }
    }

    @Test(arguments: [
        ("1H", Duration.seconds(3600)), ("2M", .seconds(120)), ("30S", .seconds(30)), ("100m", .milliseconds(100)),
        ("250u", .microseconds(250)), ("99999999n", .nanoseconds(99_999_999)), ("0S", .zero),
    ])
    func grpcTimeoutUnits(header: String, duration: Duration) throws {
        #expect(try GrpcTimeout.parse(header) == duration)
    }

    @Test func disconnectCancelsTheHandler() async throws {
        let probe = Probe()
        try await withTestServer(configure: Self.sleeper(probe)) { _, client in
            let call = Task { try await client.pullImage("busybox") }
            await probe.waitForCall()
            call.cancel()
            let outcome = await call.result
            #expect(throws: BerthError.self) { try outcome.get() }
            #expect(await probe.eventually { probe.cancelled == 1 })
        }
    }

    @Test func rawSocketHangUpCancelsTheHandler() async throws {
        let probe = Probe()
        try await withTestServer(configure: Self.sleeper(probe)) { server, _ in
            let path = server.socketPath
            let socket = try await blocking {
                let socket = try RawSocket(path: path)
                socket.send("POST /runtime.v1.ImageService/PullImage HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                return socket
            }
            await probe.waitForCall()
            socket.hangUp()
            #expect(await probe.eventually { probe.cancelled == 1 })
        }
    }
}
