import BerthBase
import Network
import Testing

@Suite struct ResultTests {
    @Test func podAddressesComeFromSandboxInterfaces() throws {
        let text = """
            {"cniVersion": "1.0.0",
             "interfaces": [{"name": "br0", "mac": "aa"}, {"name": "veth1", "mac": "bb"}, {"name": "eth0", "mac": "cc", "sandbox": "/run/netns/x"}],
             "ips": [{"address": "fd00::5/64", "interface": 2}, {"address": "10.99.0.5/24", "gateway": "10.99.0.1", "interface": 2},
                     {"address": "10.99.0.1/24", "interface": 0}],
             "routes": [{"dst": "0.0.0.0/0"}], "dns": {}}
            """
        let result = try CNIResult(parsing: JSONValue.parse(Array(text.utf8)))
        #expect(result.cniVersion == "1.0.0")
        #expect(result.podIPs == ["10.99.0.5", "fd00::5"])
        #expect(result.ips[1].gateway == "10.99.0.1")
        #expect(result.ips[1].prefixLength == 24)
    }

    @Test func version040ResultsAndIPsWithoutInterfaces() throws {
        let text = #"{"cniVersion": "0.4.0", "ips": [{"version": "4", "address": "10.1.2.3/16"}]}"#
        let result = try CNIResult(parsing: JSONValue.parse(Array(text.utf8)))
        #expect(result.podIPs == ["10.1.2.3"])
    }

    @Test func malformedResultsAreRefused() throws {
        #expect(throws: JSONProblem.self) { try CNIResult(parsing: JSONValue.parse(Array(#"{"ips": [{"gateway": "x"}]}"#.utf8))) }
        #expect(throws: JSONProblem.self) {
            try CNIResult(parsing: JSONValue.parse(Array(#"{"interfaces": [], "ips": [{"address": "1.2.3.4/8", "interface": 3}]}"#.utf8)))
        }
    }

    @Test func pluginErrorsAreParsedAndNamed() throws {
        let error = try #require(CNIPluginError(parsing: Array(#"{"cniVersion": "1.0.0", "code": 7, "msg": "bad subnet", "details": "10.0.0.0/33"}"#.utf8)))
        #expect(error == CNIPluginError(code: 7, msg: "bad subnet", details: "10.0.0.0/33"))
        #expect(error.text == "code 7 (invalid network config): bad subnet (10.0.0.0/33)")
        #expect(CNIPluginError(parsing: Array("panic: oops".utf8)) == nil)
        #expect(CNIPluginError(parsing: Array(#"{"msg": "no code"}"#.utf8)) == nil)
    }
}
