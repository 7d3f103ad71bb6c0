import BerthBase
import Foundation
import HTTPClient
import Testing

extension Fixtured {
    @Suite(.enabled(if: PythonFixture.isAvailable, "needs \(PythonFixture.python)"))
    struct BodyTests {
        @Test(arguments: ["bytes", "chunked", "close"])
        func bodyReachesTheSinkWhole(framing: String) async throws {
            try await withServer { server in
                let size = 1_000_003
                let collected = Collected()
                let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/\(framing)/\(size)"), into: collected).response()
                #expect(response.status == 200)
                #expect(response.body.isEmpty, "a streamed body is not kept")
                #expect(collected.value == pattern(size))
            }
        }

        @Test(arguments: ["bytes", "chunked", "close"])
        func bodyIsKeptInMemoryWithoutASink(framing: String) async throws {
            try await withServer { server in
                let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/\(framing)/20000")).response()
                #expect(response.body == pattern(20000))
            }
        }

        @Test func headersOfTheFinalResponseLowercased() async throws {
            try await withServer { server in
                let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/interim")).response()
                #expect(response.status == 200)
                #expect(response.body == Array("ok".utf8))
                #expect(response.header("X-Final") == "yes")
                #expect(response.header("link") == nil, "headers of the 103 interim response are not the final ones")
                #expect(response.headers.allSatisfy { $0.name == $0.name.lowercased() })
            }
        }

        @Test func headHasNoBody() async throws {
            try await withServer { server in
                let response = try await perform(TransferRequest(method: "HEAD", url: "http://127.0.0.1:\(server.port)/bytes/5000")).response()
                #expect(response.status == 200)
                #expect(response.header("Content-Length") == "5000")
                #expect(response.body.isEmpty)
            }
        }

        @Test(arguments: [204, 304])
        func noBodyStatusesDoNotWaitForOne(status: Int) async throws {
            try await withServer { server in
                let started = ContinuousClock.now
                let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/status/\(status)")).response()
                #expect(response.status == status)
                #expect(response.body.isEmpty)
                #expect(ContinuousClock.now - started < .seconds(5))
            }
        }

        @Test func errorBodiesStayInMemoryEvenWithASink() async throws {
            try await withServer { server in
                let collected = Collected()
                let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/status/404"), into: collected).response()
                #expect(response.status == 404)
                #expect(response.body == Array("status 404".utf8))
                #expect(collected.count == 0)
            }
        }

        @Test func bodyOverTheLimitFails() async throws {
            try await withServer { server in
                var request = TransferRequest(url: "http://127.0.0.1:\(server.port)/status/500?pad=5000")
                request.bodyLimit = 1000
                guard case .failure(.bodyTooLarge(1000)) = await perform(request) else {
                    Issue.record("a 5 KB error body fit a 1000-byte limit")
                    return
                }
                var chunked = TransferRequest(url: "http://127.0.0.1:\(server.port)/chunked/5000")
                chunked.bodyLimit = 1000
                guard case .failure(.bodyTooLarge(1000)) = await perform(chunked) else {
                    Issue.record("a chunked 5 KB body fit a 1000-byte limit")
                    return
                }
            }
        }

        @Test func sinkErrorsStopTheTransfer() async throws {
            try await withServer { server in
                let request = TransferRequest(url: "http://127.0.0.1:\(server.port)/bytes/100000")
                let result = await withCheckedContinuation { continuation in
                    Thread {
                        let sink: TransferSink = { (_) throws(BerthError) in throw BerthError(.resourceExhausted, "disk full") }
                        do throws(TransferError) {
                            continuation.resume(returning: Result<TransferResponse, TransferError>.success(
                                try transfer(request, options: TransferOptions(), flag: CancellationFlag(), sink: sink)))
                        } catch {
                            continuation.resume(returning: .failure(error))
                        }
                    }.start()
                }
                guard case .failure(.sink(let error)) = result else {
                    Issue.record("a refusing sink did not fail the transfer")
                    return
                }
                #expect(error.message == "disk full")
            }
        }
    }
}
