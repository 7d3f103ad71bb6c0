import BerthBase
import BerthConfig
import OCIImage
import Testing

@Suite struct OverridesTests {
    @Test func flagsWinOverTheFile() throws {
        var config = try Config.parse(toml: "root = \"/srv/a\"\nlog_level = \"error\"", source: "t")
        try config.apply(overrides: Overrides(root: "/srv/b", state: "/run/b", socket: "/run/b/b.sock", socketMode: "0666",
                                              socketGroup: "docker", logLevel: "trace", platform: "linux/arm/v7"))
        #expect(config.rootDirectory == "/srv/b")
        #expect(config.stateDirectory == "/run/b")
        #expect(config.socketPath == "/run/b/b.sock")
        #expect(config.socketMode == 0o666)
        #expect(config.socketGroup == "docker")
        #expect(config.logLevel == .trace)
        #expect(config.registry.platform == Platform(os: "linux", architecture: "arm", variant: "v7"))
    }

    @Test func noOverridesChangeNothing() throws {
        var config = Config()
        try config.apply(overrides: Overrides())
        #expect(config == Config())
    }

    static let refused: [(Overrides, String)] = [
        (Overrides(logLevel: "loud"), "--log-level: unknown level \"loud\" (want one of trace, debug, info, notice, warning, error, critical)"),
        (Overrides(root: "relative"), "--root: must be an absolute path, got \"relative\""),
        (Overrides(state: ""), "--state: must not be empty"),
        (Overrides(socket: "/" + String(repeating: "x", count: 200)), "--socket: \"/\(String(repeating: "x", count: 200))\" is 201 bytes long, more than the 107 a Unix socket path may have"),
        (Overrides(socketMode: "999"), "--socket-mode: expected an octal string like \"0660\", got \"999\""),
        (Overrides(socketMode: "4755"), "--socket-mode: mode 4755 out of range (0000 to 0777)"),
        (Overrides(socketGroup: "a:b"), "--socket-group: \"a:b\" is not a group name or number"),
        (Overrides(platform: "linux"), "--platform: invalid platform \"linux\": want os/architecture[/variant], like \"linux/amd64\" or \"linux/arm64/v8\""),
    ]

    @Test(arguments: refused)
    func badFlagsAreRefusedByName(_ overrides: Overrides, _ message: String) {
        var config = Config()
        #expect(throws: BerthError(.invalidArgument, message)) {
            try config.apply(overrides: overrides)
        }
    }

    @Test func aRefusedFlagChangesNothing() {
        var config = Config()
        #expect(throws: BerthError.self) {
            try config.apply(overrides: Overrides(root: "/srv/new", logLevel: "loud"))
        }
        #expect(config == Config())
    }
}
