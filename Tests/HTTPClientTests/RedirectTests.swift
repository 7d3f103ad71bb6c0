import BerthBase
import Foundation
import HTTPClient
import Testing

extension Fixtured {
    @Suite(.enabled(if: PythonFixture.isAvailable, "needs \(PythonFixture.python)"))
    struct RedirectTests {
        private func redirect(_ server: PythonFixture, status: Int = 307, to target: String) -> String {
            "http://127.0.0.1:\(server.port)/redirect?status=\(status)&to=\(target.addingPercentEncodingForQuery())"
        }

        @Test func chainOfFiveIsFollowedAndSixIsTooMany() async throws {
            try await withServer { server in
                var request = TransferRequest(url: "http://127.0.0.1:\(server.port)/hops/5", followRedirects: true)
                let response = try await perform(request).response()
                #expect(response.status == 200)
                #expect(response.body == Array("done".utf8))

                request.url = "http://127.0.0.1:\(server.port)/hops/6"
                #expect(await perform(request).failureText() == "127.0.0.1:\(server.port): more than 5 redirects")
            }
        }

        @Test func redirectsAreReturnedUnlessFollowed() async throws {
            try await withServer { server in
                let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(server.port)/hops/2")).response()
                #expect(response.status == 302)
                #expect(response.header("Location") == "/hops/1")
                #expect(response.body == Array("moved".utf8))
            }
        }

        @Test func authorizationIsKeptOnTheSameOrigin() async throws {
            try await withServer { server in
                let request = TransferRequest(url: redirect(server, to: "/echo"), headers: ["Authorization: Bearer secret"], followRedirects: true)
                let echo = try Echo(try await perform(request).response())
                #expect(echo.headers["authorization"] == "Bearer secret")
            }
        }

        @Test func authorizationIsDroppedForAnotherHost() async throws {
            try await withServer { server in
                // localhost is the same server under another name, as object storage would be another host.
                let request = TransferRequest(
                    url: redirect(server, to: "http://localhost:\(server.port)/echo"),
                    headers: ["Authorization: Bearer secret", "X-Other: kept"], followRedirects: true)
                let echo = try Echo(try await perform(request).response())
                #expect(echo.headers["authorization"] == nil)
                #expect(echo.headers["x-other"] == "kept")
                #expect(echo.headers["host"] == "localhost:\(server.port)")
            }
        }

        @Test func authorizationIsDroppedForAnotherPort() async throws {
            try await withServer { first in
                try await withServer { second in
                    let request = TransferRequest(
                        url: redirect(first, status: 302, to: "http://127.0.0.1:\(second.port)/echo"),
                        headers: ["authorization: Basic c2VjcmV0"], followRedirects: true)
                    let echo = try Echo(try await perform(request).response())
                    #expect(echo.headers["authorization"] == nil)
                }
            }
        }

        @Test func seeOtherTurnsAPostIntoAGetWithoutBody() async throws {
            try await withServer { server in
                let request = TransferRequest(
                    method: "POST", url: redirect(server, status: 303, to: "/echo"), body: .bytes(Array("form=1".utf8)), followRedirects: true)
                let echo = try Echo(try await perform(request).response())
                #expect(echo.method == "GET")
                #expect(echo.bodyLength == 0)
            }
        }

        @Test func temporaryRedirectResendsMethodAndBody() async throws {
            try await withServer { server in
                let body = pattern(50000)
                let request = TransferRequest(method: "PUT", url: redirect(server, status: 307, to: "/echo?again=1"), body: .bytes(body), followRedirects: true)
                let echo = try Echo(try await perform(request).response())
                #expect(echo.method == "PUT")
                #expect(echo.target == "/echo?again=1")
                #expect(echo.bodySHA256 == SHA256Hasher.digest(body).encoded)
            }
        }

        @Test func redirectToAnotherSchemeIsRefused() async throws {
            try await withServer { server in
                let request = TransferRequest(url: redirect(server, to: "file:///etc/passwd"), followRedirects: true)
                let text = await perform(request).failureText() ?? ""
                #expect(text.contains("is not http or https"), "\(text)")
            }
        }
    }
}

extension String {
    func addingPercentEncodingForQuery() -> String {
        var allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/".utf8)
        allowed.remove(UInt8(ascii: "&"))
        return utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
    }
}
