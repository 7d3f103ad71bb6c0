import BerthBase
import HTTPClient
import Testing

extension Fixtured {
    /// A real TLS server (Python's ssl module) with a certificate `openssl req` makes for
    /// `registry.test` and 127.0.0.1.
    @Suite(.enabled(if: PythonFixture.isAvailable, "needs \(PythonFixture.python)"),
           .enabled(if: Certificate.isAvailable, "needs \(Certificate.openssl)"))
    struct TLSTests {
        @Test func unknownCertificateFailsVerification() async throws {
            try await withCertificate { certificate in
                try await withServer(tls: certificate) { server in
                    let text = await perform(TransferRequest(url: "https://127.0.0.1:\(server.port)/bytes/10")).failureText()
                    #expect(text == "TLS handshake with 127.0.0.1:\(server.port): certificate verify failed (self-signed certificate)")
                }
            }
        }

        @Test func unverifiedConnectionAcceptsIt() async throws {
            try await withCertificate { certificate in
                try await withServer(tls: certificate) { server in
                    let collected = Collected()
                    let options = TransferOptions(verifyTLS: false)
                    let response = try await perform(TransferRequest(url: "https://127.0.0.1:\(server.port)/chunked/700000"), options: options, into: collected).response()
                    #expect(response.status == 200)
                    #expect(collected.value == pattern(700_000))
                }
            }
        }

        @Test func trustedCertificateIsVerifiedForItsAddress() async throws {
            try await withCertificate { certificate in
                try await withServer(tls: certificate) { server in
                    let options = TransferOptions(extraRootCertificates: certificate.certificate)
                    let response = try await perform(TransferRequest(url: "https://127.0.0.1:\(server.port)/bytes/100000"), options: options).response()
                    #expect(response.body == pattern(100_000))
                }
            }
        }

        @Test func nameMismatchFails() async throws {
            try await withCertificate { certificate in
                try await withServer(tls: certificate) { server in
                    // The certificate names registry.test and 127.0.0.1, not localhost.
                    let options = TransferOptions(extraRootCertificates: certificate.certificate)
                    let text = await perform(TransferRequest(url: "https://localhost:\(server.port)/bytes/10"), options: options).failureText()
                    #expect(text == "TLS handshake with localhost:\(server.port): certificate verify failed (hostname mismatch)")
                }
            }
        }

        @Test func uploadOverTLS() async throws {
            try await withCertificate { certificate in
                try await withServer(tls: certificate) { server in
                    try await withTemporaryDirectory { directory in
                        let body = pattern(2_000_000)
                        try FileSystem.atomicWrite(body, to: "\(directory)/blob")
                        let request = TransferRequest(method: "PUT", url: "https://127.0.0.1:\(server.port)/echo", body: .file(path: "\(directory)/blob", size: Int64(body.count)))
                        let options = TransferOptions(extraRootCertificates: certificate.certificate)
                        let echo = try Echo(try await perform(request, options: options).response())
                        #expect(echo.bodySHA256 == SHA256Hasher.digest(body).encoded)
                    }
                }
            }
        }

        @Test func plainHTTPServerIsNoTLSServer() async throws {
            try await withServer { server in
                let text = await perform(TransferRequest(url: "https://127.0.0.1:\(server.port)/bytes/10")).failureText() ?? ""
                #expect(text.hasPrefix("TLS handshake with 127.0.0.1:\(server.port): "), "\(text)")
            }
        }
    }
}
