import BerthBase
import BerthConfig
import Testing

@Suite struct DaemonArgumentsTests {
    @Test func noArgumentsRunOnTheDefaults() throws {
        #expect(try DaemonArguments.parse([]) == .run(configPath: nil, overrides: Overrides()))
    }

    @Test func everyFlagInBothForms() throws {
        let spaced = try DaemonArguments.parse([
            "--config", "/etc/b.toml", "--root", "/srv/b", "--state", "/run/b", "--socket", "/run/b/b.sock",
            "--socket-mode", "0666", "--socket-group", "docker", "--log-level", "debug", "--platform", "linux/arm64",
        ])
        let joined = try DaemonArguments.parse([
            "--config=/etc/b.toml", "--root=/srv/b", "--state=/run/b", "--socket=/run/b/b.sock",
            "--socket-mode=0666", "--socket-group=docker", "--log-level=debug", "--platform=linux/arm64",
        ])
        let expected = DaemonCommand.run(configPath: "/etc/b.toml", overrides: Overrides(
            root: "/srv/b", state: "/run/b", socket: "/run/b/b.sock", socketMode: "0666", socketGroup: "docker",
            logLevel: "debug", platform: "linux/arm64"))
        #expect(spaced == expected)
        #expect(joined == expected)
    }

    @Test func theLastOfARepeatedFlagWins() throws {
        #expect(try DaemonArguments.parse(["--root", "/a", "--root=/b"]) == .run(configPath: nil, overrides: Overrides(root: "/b")))
    }

    @Test func aValueMayStartWithDashes() throws {
        #expect(try DaemonArguments.parse(["--socket-group", "--odd"]) == .run(configPath: nil, overrides: Overrides(socketGroup: "--odd")))
    }

    @Test func helpAndVersionWinOverEverythingBeforeThem() throws {
        #expect(try DaemonArguments.parse(["--help"]) == .help)
        #expect(try DaemonArguments.parse(["--root", "/a", "-h"]) == .help)
        #expect(try DaemonArguments.parse(["--version"]) == .version)
        for option in ["--config", "--root", "--state", "--socket", "--socket-mode", "--socket-group", "--log-level", "--platform"] {
            #expect(DaemonArguments.usage.contains(option))
        }
    }

    @Test(arguments: [
        (["--rooot", "/a"], "unknown option --rooot (see --help)"),
        (["--rooot=/a"], "unknown option --rooot (see --help)"),
        (["-r", "/a"], "unexpected argument \"-r\"; berthd takes only flags (see --help)"),
        (["serve"], "unexpected argument \"serve\"; berthd takes only flags (see --help)"),
        (["--root"], "--root needs a value"),
        (["--log-level", "debug", "--config"], "--config needs a value"),
    ])
    func badCommandLinesAreRefusedByName(arguments: [String], message: String) {
        #expect(throws: BerthError.self) { try DaemonArguments.parse(arguments) }
        do {
            _ = try DaemonArguments.parse(arguments)
        } catch {
            #expect(error.message == message)
        }
    }
}
