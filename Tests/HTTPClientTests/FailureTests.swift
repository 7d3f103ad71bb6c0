import BerthBase
import Foundation
import HTTPClient
import Testing

extension Fixtured {
    @Suite struct ConnectFailureTests {
        @Test func refusedConnectionNamesTheAddress() async throws {
            let port = try unusedPort()
            let text = await perform(TransferRequest(url: "http://127.0.0.1:\(port)/v2/")).failureText()
            #expect(text == "connect 127.0.0.1:\(port): Connection refused")
        }

        @Test func unknownHostNamesTheHost() async throws {
            let text = await perform(TransferRequest(url: "https://no-such-host.invalid/v2/")).failureText() ?? ""
            #expect(text.hasPrefix("no-such-host.invalid: no address ("), "\(text)")
        }

        @Test func badURLIsRefusedBeforeConnecting() async {
            let text = await perform(TransferRequest(url: "http://[::1/")).failureText()
            #expect(text == "bad URL \"http://[::1/\": unterminated IPv6 address")
        }

        @Test func alreadyCancelledFlagStartsNothing() async {
            let flag = CancellationFlag()
            flag.cancel()
            guard case .failure(.cancelled) = await perform(TransferRequest(url: "http://127.0.0.1:1/"), flag: flag) else {
                Issue.record("a cancelled transfer ran")
                return
            }
        }
    }
}

extension Fixtured {
    @Suite(.enabled(if: PythonFixture.isAvailable, "needs \(PythonFixture.python)"))
    struct ResponseFailureTests {
        @Test func stalledBodyHitsTheLowSpeedLimit() async throws {
            try await withServer { server in
                let options = TransferOptions(lowSpeedBytes: 1, lowSpeedSeconds: 1)
                let collected = Collected()
                let started = ContinuousClock.now
                let text = await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/stall/1000"), options: options, into: collected).failureText()
                #expect(text == "receive from 127.0.0.1:\(server.port): timed out after 1 s below 1 byte/s")
                #expect(collected.value == pattern(1000), "what came before the stall reached the sink")
                // Generous: parallel tests load the machine; the limit itself is 1 s.
                #expect(ContinuousClock.now - started < .seconds(10))
            }
        }

        @Test func tricklingBodyBelowTheLimitIsAbandoned() async throws {
            try await withServer { server in
                // About 3 bytes per second arrive; 100 per second are asked for.
                let options = TransferOptions(lowSpeedBytes: 100, lowSpeedSeconds: 1)
                let text = await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/trickle"), options: options).failureText()
                #expect(text == "receive from 127.0.0.1:\(server.port): timed out after 1 s below 100 byte/s")
            }
        }

        @Test func cancellingAStalledBodyStopsItPromptly() async throws {
            try await withServer { server in
                let flag = CancellationFlag()
                let collected = Collected()
                let transfer = Task { await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/stall/5000"), flag: flag, into: collected) }
                while collected.count < 5000 { try await Task.sleep(for: .milliseconds(20)) }
                let cancelled = ContinuousClock.now
                flag.cancel()
                guard case .failure(.cancelled) = await transfer.value else {
                    Issue.record("the cancelled transfer did not fail as cancelled")
                    return
                }
                // The transfer checks every 250 ms; the rest is slack for a loaded machine.
                #expect(ContinuousClock.now - cancelled < .seconds(5))
            }
        }

        @Test func cancellingAFlowingBodyStopsIt() async throws {
            try await withServer { server in
                let flag = CancellationFlag()
                let collected = Collected()
                let transfer = Task { await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/endless"), flag: flag, into: collected) }
                while collected.count < 1 << 20 { try await Task.sleep(for: .milliseconds(20)) }
                flag.cancel()
                guard case .failure(.cancelled) = await transfer.value else {
                    Issue.record("the cancelled transfer did not fail as cancelled")
                    return
                }
            }
        }

        @Test(arguments: [
            ("bigheader", "response header line longer than 65536 bytes"),
            ("manyheaders", "more than 256 response header lines"),
            ("badchunk", "malformed chunk size"),
            ("badlength", "bad Content-Length \"5, 6\""),
            ("short", "connection closed after 10 of 100 body bytes"),
        ])
        func malformedResponsesAreRefused(path: String, reason: String) async throws {
            try await withServer { server in
                let text = await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/\(path)")).failureText()
                #expect(text == "127.0.0.1:\(server.port): \(reason)")
            }
        }
    }
}
