import BerthBase
import Testing

@testable import berthctl

@Suite struct PullProgressTests {
    let layer = "sha256:ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"

    @Test func progressLinesParseWithNumbersOrStrings() throws {
        let numbers = try PullEvent(line: Array(#"{"layer":"\#(layer)","status":"downloading","current":12300000,"total":40100000}"#.utf8))
        let strings = try PullEvent(line: Array(#"{"layer":"\#(layer)","status":"downloading","current":"12300000","total":"40100000"}"#.utf8))
        let expected = PullEvent.progress(LayerProgress(layer: layer, status: "downloading", current: 12_300_000, total: 40_100_000))
        #expect(numbers == expected)
        #expect(strings == expected)
    }

    @Test func finalLinesParse() throws {
        #expect(try PullEvent(line: Array(#"{"imageRef":"sha256:00ff"}"#.utf8)) == .finished(imageRef: "sha256:00ff"))
        #expect(
            try PullEvent(line: Array(#"{"error":{"code":"not_found","message":"manifest unknown"}}"#.utf8))
                == .failed(BerthError(.notFound, "manifest unknown")))
    }

    @Test func unexpectedLinesAreErrors() {
        #expect(throws: BerthError.self) { try PullEvent(line: Array(#"{"what":1}"#.utf8)) }
        #expect(throws: BerthError.self) { try PullEvent(line: Array("[1]".utf8)) }
    }

    @Test(arguments: [
        ("downloading", Int64(12_300_000), Int64(40_100_000), "sha256:ab12cd34ef56…: downloading 12.3MB/40.1MB"),
        ("exists", 0, 0, "sha256:ab12cd34ef56…: already exists"),
        ("done", 40_100_000, 40_100_000, "sha256:ab12cd34ef56…: done"),
        ("waiting", 0, 0, "sha256:ab12cd34ef56…: waiting"),
    ])
    func layerLines(status: String, current: Int64, total: Int64, expected: String) {
        #expect(LayerProgress(layer: layer, status: status, current: current, total: total).line == expected)
    }

    @Test func boardRedrawsInPlace() {
        var board = PullProgressBoard()
        board.update(LayerProgress(layer: "sha256:aaa", status: "waiting", current: 0, total: 10))
        board.update(LayerProgress(layer: "sha256:bbb", status: "waiting", current: 0, total: 10))
        #expect(board.redraw() == "\r\u{1B}[2Ksha256:aaa…: waiting\n\r\u{1B}[2Ksha256:bbb…: waiting\n")
        board.update(LayerProgress(layer: "sha256:aaa", status: "done", current: 10, total: 10))
        // Back up over both lines, keep first-seen order.
        #expect(board.redraw() == "\u{1B}[2A\r\u{1B}[2Ksha256:aaa…: done\n\r\u{1B}[2Ksha256:bbb…: waiting\n")
    }
}

@Suite struct CredentialsTests {
    @Test func credsSplitAtTheFirstColon() throws {
        let config = try #require(try Credentials.authConfig(creds: "user:pa:ss", auth: nil, username: nil, password: nil))
        #expect(config.username == "user")
        #expect(config.password == "pa:ss")
    }

    @Test func authIsPassedAsIs() throws {
        let config = try #require(try Credentials.authConfig(creds: nil, auth: "dXNlcjpwYXNz", username: nil, password: nil))
        #expect(config.auth == "dXNlcjpwYXNz")
    }

    @Test func usernameAndPassword() throws {
        let config = try #require(try Credentials.authConfig(creds: nil, auth: nil, username: "u", password: "p"))
        #expect(config.username == "u" && config.password == "p")
    }

    @Test func noCredentialsMeansNoAuth() throws {
        #expect(try Credentials.authConfig(creds: nil, auth: nil, username: nil, password: nil) == nil)
    }

    @Test(arguments: [
        ("nocolon", nil, nil, nil), (":nouser", nil, nil, nil), (nil, "not base64!", nil, nil),
        (nil, nil, nil, "onlypassword"), ("a:b", "YTpi", nil, nil),
    ] as [(String?, String?, String?, String?)])
    func badCombinationsAreRefused(creds: String?, auth: String?, username: String?, password: String?) {
        #expect(throws: (any Error).self) {
            try Credentials.authConfig(creds: creds, auth: auth, username: username, password: password)
        }
    }
}
