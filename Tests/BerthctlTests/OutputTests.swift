import BerthBase
import Testing

@testable import berthctl

@Suite struct OutputTests {
    @Test(arguments: [
        (UInt64(0), "0B"), (100, "100B"), (999, "999B"), (1500, "1.5kB"), (4_270_000, "4.27MB"),
        (12_345_678, "12.3MB"), (1_000_000_000, "1GB"), (2_500_000_000_000, "2.5TB"),
    ])
    func humanSizesMatchCrictl(bytes: UInt64, expected: String) {
        #expect(humanSize(bytes) == expected)
    }

    @Test func idsAreTruncatedToThirteenCharacters() {
        #expect(truncatedID("sha256:0123456789abcdef0123") == "0123456789abc")
        #expect(truncatedID("short") == "short")
    }

    @Test func tableAlignsAllButTheLastColumn() {
        var table = Table(header: ["IMAGE", "TAG", "IMAGE ID", "SIZE"])
        table.append(["127.0.0.1:5000/busybox", "latest", "0123456789abc", "1.2MB"])
        #expect(
            table.render() == """
                IMAGE                    TAG                 IMAGE ID            SIZE
                127.0.0.1:5000/busybox   latest              0123456789abc       1.2MB

                """)
    }

    @Test func prettyJSONSortsKeysAndIndentsLikeGo() throws {
        let value = try JSONValue(parsing: Array(#"{"b":[1,"x<y"],"a":{"c":true,"d":null},"e":[],"f":1.5}"#.utf8))
        #expect(
            value.prettyJSON() == """
                {
                  "a": {
                    "c": true,
                    "d": null
                  },
                  "b": [
                    1,
                    "x\\u003cy"
                  ],
                  "e": [],
                  "f": 1.5
                }
                """)
    }

    @Test func yamlQuotesStringsThatLookLikeOtherTypes() throws {
        let value = JSONValue.object([
            "size": .string("12345"), "pinned": .bool(false), "name": .string("busybox"), "uid": .int(0),
        ])
        #expect(
            try value.yaml() == """
                name: busybox
                pinned: false
                size: '12345'
                uid: 0

                """)
    }

    @Test func embeddedJSONInfoIsUnfolded() {
        #expect(JSONValue(embedded: #"{"k":"v"}"#) == .object(["k": .string("v")]))
        #expect(JSONValue(embedded: "plain text") == .string("plain text"))
    }

    @Test(arguments: [("2s", 2000), ("500ms", 500), ("1m", 60_000), ("1.5", 1500), ("0", nil)] as [(String, Int64?)])
    func timeoutsParse(text: String, milliseconds: Int64?) {
        #expect(Timeout(argument: text)?.duration == milliseconds.map { .milliseconds($0) })
    }

    @Test func badTimeoutIsRefused() {
        #expect(Timeout(argument: "soon") == nil)
    }
}
