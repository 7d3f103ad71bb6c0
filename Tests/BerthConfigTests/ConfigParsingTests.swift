import BerthBase
import BerthConfig
import Foundation
import Logging
import OCIImage
import Registry
import Testing

/// Expects `toml` to be refused with exactly `message` after the `config <source>: ` prefix.
func expectRefusal(_ toml: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: BerthError(.invalidArgument, "config test.toml: \(message)"), sourceLocation: sourceLocation) {
        try Config.parse(toml: toml, source: "test.toml")
    }
}

@Suite struct ConfigParsingTests {
    @Test func defaults() {
        let config = Config()
        #expect(config.rootDirectory == "/var/lib/berth")
        #expect(config.stateDirectory == "/run/berth")
        #expect(config.socketPath == "/run/berth/berth.sock")
        #expect(config.socketMode == 0o660)
        #expect(config.socketGroup == nil)
        #expect(config.logLevel == .info)
        #expect(config.maxRequestBytes == 16 * 1024 * 1024)
        #expect(config.registry == RegistryConfiguration(hosts: [:], platform: .linuxAMD64, maxConcurrentDownloads: 4))
        #expect(Config.defaultPath == "/etc/berth/config.toml")
    }

    @Test func emptyDocumentGivesDefaults() throws {
        #expect(try Config.parse(toml: "", source: "empty") == Config())
        #expect(try Config.parse(toml: "# nothing here\n\n[api]\n[registry]\n", source: "empty") == Config())
    }

    @Test func fullFile() throws {
        let toml = """
        root = "/srv/berth"
        state = "/run/berth-test"
        log_level = "debug"

        [api]
        socket = "/run/berth-test/api.sock"
        socket_mode = "0600"
        socket_group = "berth"
        max_request_bytes = 1048576

        [registry]
        platform = "linux/arm64/v8"
        max_concurrent_downloads = 8

        [registry.hosts."registry.k8s.io"]
        mirrors = ["http://127.0.0.1:5000", "https://mirror.example/prefix/"]

        [registry.hosts."127.0.0.1:5000"]
        plain_http = true
        skip_verify = false

        [registry.hosts."index.docker.io"]
        skip_verify = true
        """
        let config = try Config.parse(toml: toml, source: "full.toml")
        var expected = Config()
        expected.rootDirectory = "/srv/berth"
        expected.stateDirectory = "/run/berth-test"
        expected.logLevel = .debug
        expected.socketPath = "/run/berth-test/api.sock"
        expected.socketMode = 0o600
        expected.socketGroup = "berth"
        expected.maxRequestBytes = 1 << 20
        expected.registry = RegistryConfiguration(
            hosts: [
                "registry.k8s.io": RegistryHost(mirrors: [
                    try #require(URL(string: "http://127.0.0.1:5000")),
                    try #require(URL(string: "https://mirror.example/prefix/")),
                ]),
                "127.0.0.1:5000": RegistryHost(plainHTTP: true, skipVerify: false),
                "docker.io": RegistryHost(skipVerify: true),
            ],
            platform: Platform(os: "linux", architecture: "arm64"),
            maxConcurrentDownloads: 8
        )
        #expect(config == expected)
    }

    @Test(arguments: ["trace", "debug", "info", "notice", "warning", "error", "critical", "WARNING"])
    func everyLogLevel(_ name: String) throws {
        let config = try Config.parse(toml: "log_level = \"\(name)\"", source: "test.toml")
        #expect(config.logLevel.rawValue == name.lowercased())
    }

    @Test(arguments: [("0660", 0o660), ("660", 0o660), ("0", 0), ("0777", 0o777), ("0o644", 0o644)] as [(String, UInt32)])
    func socketModes(_ text: String, _ mode: UInt32) throws {
        let config = try Config.parse(toml: "[api]\nsocket_mode = \"\(text)\"", source: "test.toml")
        #expect(config.socketMode == mode)
    }

    @Test func numericGroup() throws {
        #expect(try Config.parse(toml: "[api]\nsocket_group = \"998\"", source: "t").socketGroup == "998")
    }
}

@Suite struct ConfigRefusalTests {
    @Test func unknownKeys() {
        expectRefusal("rooot = \"/x\"", "unknown key rooot")
        expectRefusal("[api]\nsockett = \"/run/x.sock\"", "unknown key api.sockett")
        expectRefusal("[registry]\nmirrors = []", "unknown key registry.mirrors")
        expectRefusal("[registry.hosts.\"docker.io\"]\nmirror = [\"http://x\"]", "unknown key registry.hosts.\"docker.io\".mirror")
        expectRefusal("[runtime]\nx = 1", "unknown key runtime.x")
        expectRefusal("[runtimes]\nx = 1", "unknown key runtimes")
        expectRefusal("[runtime]\ncgroup_root = \"../up\"", "runtime.cgroup_root: must be a relative cgroup path like \"berth\", got \"../up\"")
    }

    @Test func wrongTypes() {
        expectRefusal("[api]\nsocket_mode = 0o660", "api.socket_mode: expected an octal string like \"0660\", got integer")
        expectRefusal("[api]\nsocket_mode = 660", "api.socket_mode: expected an octal string like \"0660\", got integer")
        expectRefusal("root = 1", "root: expected a string, got integer")
        expectRefusal("log_level = true", "log_level: expected a string, got boolean")
        expectRefusal("api = \"x\"", "api: expected a table, got string")
        expectRefusal("[api]\nmax_request_bytes = \"16M\"", "api.max_request_bytes: expected an integer, got string")
        expectRefusal("[api]\nmax_request_bytes = 1.5", "api.max_request_bytes: expected an integer, got float")
        expectRefusal("[registry]\nmax_concurrent_downloads = [4]", "registry.max_concurrent_downloads: expected an integer, got array")
        expectRefusal("[registry.hosts.\"x.io\"]\nplain_http = \"yes\"", "registry.hosts.\"x.io\".plain_http: expected true or false, got string")
        expectRefusal("[registry.hosts.\"x.io\"]\nmirrors = \"http://m\"", "registry.hosts.\"x.io\".mirrors: expected an array of strings, got string")
        expectRefusal("[registry.hosts.\"docker.io\"]\nmirrors = [\"http://m\", 5]", "registry.hosts.\"docker.io\".mirrors[1]: expected a string, got integer")
        expectRefusal("[registry]\nhosts = { \"x.io\" = 1 }", "registry.hosts.\"x.io\": expected a table, got integer")
        expectRefusal("state = 1979-05-27", "state: expected a string, got date")
    }

    @Test func relativeOrEmptyPaths() {
        expectRefusal("root = \"var/lib/berth\"", "root: must be an absolute path, got \"var/lib/berth\"")
        expectRefusal("state = \"\"", "state: must not be empty")
        expectRefusal("[api]\nsocket = \"berth.sock\"", "api.socket: must be an absolute path, got \"berth.sock\"")
    }

    @Test func socketPathTooLong() {
        let path = "/run/" + String(repeating: "s", count: 103)
        expectRefusal("[api]\nsocket = \"\(path)\"", "api.socket: \"\(path)\" is 108 bytes long, more than the 107 a Unix socket path may have")
    }

    @Test func badSocketModes() {
        expectRefusal("[api]\nsocket_mode = \"1777\"", "api.socket_mode: mode 1777 out of range (0000 to 0777)")
        expectRefusal("[api]\nsocket_mode = \"0680\"", "api.socket_mode: expected an octal string like \"0660\", got \"0680\"")
        expectRefusal("[api]\nsocket_mode = \"\"", "api.socket_mode: expected an octal string like \"0660\", got \"\"")
        expectRefusal("[api]\nsocket_mode = \"rw-rw----\"", "api.socket_mode: expected an octal string like \"0660\", got \"rw-rw----\"")
    }

    @Test func badGroup() {
        expectRefusal("[api]\nsocket_group = \"\"", "api.socket_group: \"\" is not a group name or number")
        expectRefusal("[api]\nsocket_group = \"a b\"", "api.socket_group: \"a b\" is not a group name or number")
    }

    @Test func badLogLevel() {
        expectRefusal("log_level = \"loud\"", "log_level: unknown level \"loud\" (want one of trace, debug, info, notice, warning, error, critical)")
    }

    @Test func outOfRangeNumbers() {
        expectRefusal("[registry]\nmax_concurrent_downloads = 0", "registry.max_concurrent_downloads: 0 out of range (1 to 64)")
        expectRefusal("[registry]\nmax_concurrent_downloads = 65", "registry.max_concurrent_downloads: 65 out of range (1 to 64)")
        expectRefusal("[api]\nmax_request_bytes = 100", "api.max_request_bytes: 100 out of range (4096 to 1073741824)")
    }

    @Test func badPlatform() {
        expectRefusal("[registry]\nplatform = \"amd64\"", "registry.platform: invalid platform \"amd64\": want os/architecture[/variant], like \"linux/amd64\" or \"linux/arm64/v8\"")
    }

    @Test func badMirrors() {
        let key = "registry.hosts.\"docker.io\".mirrors"
        func mirrors(_ list: String) -> String { "[registry.hosts.\"docker.io\"]\nmirrors = [\(list)]" }
        expectRefusal(mirrors("\"127.0.0.1:5000\""), "\(key)[0]: \"127.0.0.1:5000\" must start with http:// or https://")
        expectRefusal(mirrors("\"http://ok\", \"ftp://mirror\""), "\(key)[1]: \"ftp://mirror\" must start with http:// or https://")
        expectRefusal(mirrors("\"http://m/?x=1\""), "\(key)[0]: \"http://m/?x=1\" must not have a query")
        expectRefusal(mirrors("\"http://m/#top\""), "\(key)[0]: \"http://m/#top\" must not have a fragment")
        expectRefusal(mirrors("\"http:///path\""), "\(key)[0]: \"http:///path\" has no host")
        expectRefusal(mirrors("\"https://user:pw@m\""), "\(key)[0]: \"https://user:pw@m\" must not hold credentials")
        expectRefusal(mirrors("\"http://a b\""), "\(key)[0]: \"http://a b\" is not a URL")
    }

    @Test func badHostNames() {
        let want = "not a registry host (want host or host:port, like \"registry.k8s.io\" or \"127.0.0.1:5000\")"
        expectRefusal("[registry.hosts.\"http://docker.io\"]", "registry.hosts.\"http://docker.io\": \(want)")
        expectRefusal("[registry.hosts.\"docker.io/library\"]", "registry.hosts.\"docker.io/library\": \(want)")
        expectRefusal("[registry.hosts.\"\"]", "registry.hosts.\"\": \(want)")
    }

    @Test func sameHostTwice() {
        expectRefusal("[registry.hosts.\"docker.io\"]\n[registry.hosts.\"index.docker.io\"]", "registry.hosts.\"index.docker.io\": docker.io is configured twice")
    }

    @Test func syntaxErrorsNameTheLine() {
        #expect {
            try Config.parse(toml: "root = \"/x\"\n\n[api\nsocket = 1", source: "test.toml")
        } throws: { error in
            guard let error = error as? BerthError else { return false }
            return error.code == .invalidArgument && error.message.hasPrefix("config test.toml: line 3, column ")
        }
        #expect {
            try Config.parse(toml: "root = \"/x\"\nroot = \"/y\"", source: "test.toml")
        } throws: { error in
            (error as? BerthError)?.message.hasPrefix("config test.toml: line 2, column ") == true
        }
    }
}
