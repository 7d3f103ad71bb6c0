import BerthBase
import Foundation
import HTTPClient
import Testing

extension Fixtured {
    @Suite(.enabled(if: PythonFixture.isAvailable, "needs \(PythonFixture.python)"))
    struct UploadTests {
        @Test(arguments: [0, 100, 200_000])
        func uploadFromBytes(size: Int) async throws {
            try await withServer { server in
                let body = pattern(size)
                let request = TransferRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/echo", headers: ["Content-Type: application/octet-stream"], body: .bytes(body))
                let echo = try Echo(try await perform(request).response())
                #expect(echo.method == "POST")
                #expect(echo.bodyLength == size)
                #expect(echo.bodySHA256 == SHA256Hasher.digest(body).encoded)
                #expect(echo.headers["content-length"] == "\(size)")
                #expect(echo.headers["content-type"] == "application/octet-stream")
                #expect(echo.headers["user-agent"] == "berth/1")
                #expect(echo.headers["expect"] == nil)
            }
        }

        @Test func uploadFromFile() async throws {
            try await withServer { server in
                try await withTemporaryDirectory { directory in
                    let body = pattern(3_000_000)
                    let path = "\(directory)/blob"
                    try FileSystem.atomicWrite(body, to: path)
                    let request = TransferRequest(method: "PUT", url: "http://127.0.0.1:\(server.port)/echo", body: .file(path: path, size: Int64(body.count)))
                    let echo = try Echo(try await perform(request).response())
                    #expect(echo.method == "PUT")
                    #expect(echo.bodySHA256 == SHA256Hasher.digest(body).encoded)
                }
            }
        }

        @Test func bodilessPutSendsZeroLength() async throws {
            try await withServer { server in
                let echo = try Echo(try await perform(TransferRequest(method: "PUT", url: "http://127.0.0.1:\(server.port)/echo")).response())
                #expect(echo.headers["content-length"] == "0")
            }
        }

        @Test func fileShorterThanDeclaredFails() async throws {
            try await withServer { server in
                try await withTemporaryDirectory { directory in
                    let path = "\(directory)/short"
                    try FileSystem.atomicWrite(pattern(10), to: path)
                    let request = TransferRequest(method: "PUT", url: "http://127.0.0.1:\(server.port)/echo", body: .file(path: path, size: 20))
                    guard case .failure(.setup(let text)) = await perform(request) else {
                        Issue.record("a short file was uploaded")
                        return
                    }
                    #expect(text == "\(path): ended after 10 of 20 bytes")
                }
            }
        }

        @Test func headerLinesWithLineBreaksAreRefused() async {
            let request = TransferRequest(url: "http://127.0.0.1:1/", headers: ["X-Evil: a\r\nInjected: yes"])
            guard case .failure(.setup) = await perform(request) else {
                Issue.record("a header line with CRLF was accepted")
                return
            }
        }
    }
}
