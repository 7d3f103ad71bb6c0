import BerthBase
import CRI
import ContainerPolicy
import RuntimeSpec
import Testing

@Suite struct ArgsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var command: [String]
        var args: [String]
        var entrypoint: [String]?
        var cmd: [String]?
        var expected: [String]
        var testDescription: String { "command \(command) args \(args) entrypoint \(entrypoint ?? []) cmd \(cmd ?? [])" }
    }

    @Test(arguments: [
        Case(command: [], args: [], entrypoint: ["/ep"], cmd: ["c1"], expected: ["/ep", "c1"]),
        Case(command: ["/bin/x"], args: [], entrypoint: ["/ep"], cmd: ["c1"], expected: ["/bin/x"]),
        Case(command: ["/bin/x"], args: ["a"], entrypoint: ["/ep"], cmd: ["c1"], expected: ["/bin/x", "a"]),
        Case(command: [], args: ["a", "b"], entrypoint: ["/ep"], cmd: ["c1"], expected: ["/ep", "a", "b"]),
        Case(command: [], args: [], entrypoint: nil, cmd: ["sh", "-c", "x"], expected: ["sh", "-c", "x"]),
        Case(command: [], args: [], entrypoint: [""], cmd: ["sh"], expected: ["sh"]),
        Case(command: [], args: ["only"], entrypoint: nil, cmd: ["sh"], expected: ["only"]),
    ])
    func composition(_ c: Case) throws {
        #expect(try ProcessPolicy.args(command: c.command, args: c.args, entrypoint: c.entrypoint, cmd: c.cmd) == c.expected)
    }

    @Test func nothingToRunIsInvalid() {
        let failure = error { try ProcessPolicy.args(command: [], args: [], entrypoint: [""], cmd: nil) }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.hasPrefix("command:") == true)
    }

    @Test func builderUsesTheImage() throws {
        let output = try build(image: imageConfig { $0.entrypoint = ["/entry"]; $0.cmd = ["run"] })
        #expect(output.spec.process?.args == ["/entry", "run"])
    }

    @Test func builderRefusesNoCommand() {
        let failure = error { try build(image: imageConfig { $0.cmd = nil }) }
        #expect(failure?.code == .invalidArgument)
    }
}

@Suite struct EnvTests {
    @Test func imageThenRequestRequestWins() throws {
        let output = try build({ $0.envs = [keyValue("IMAGE", "2"), keyValue("NEW", "x=y")] })
        #expect(output.spec.process?.env == ["PATH=/image/bin", "HOSTNAME=pod-host", "IMAGE=2", "NEW=x=y"])
    }

    @Test func defaultPathWhenNoneGiven() {
        let env = ProcessPolicy.env(image: nil, request: [("A", "1")], hostname: nil)
        #expect(env == [ProcessPolicy.defaultPath, "A=1"])
    }

    @Test func requestOverridesPath() {
        let env = ProcessPolicy.env(image: ["PATH=/a"], request: [("PATH", "/b")], hostname: "h")
        #expect(env == ["PATH=/b", "HOSTNAME=h"])
    }
}

@Suite struct WorkingDirTests {
    @Test func requestWins() throws {
        let output = try build({ $0.workingDir = "/req" }, image: imageConfig { $0.workingDir = "/img" })
        #expect(output.spec.process?.cwd == "/req")
    }

    @Test func imageNext() throws {
        #expect(try build(image: imageConfig { $0.workingDir = "/img" }).spec.process?.cwd == "/img")
    }

    @Test func rootLast() throws {
        #expect(try build().spec.process?.cwd == "/")
    }

    @Test func relativeRefused() {
        #expect(error { try build({ $0.workingDir = "rel" }) }?.code == .invalidArgument)
    }

    @Test func terminalFromTty() throws {
        #expect(try build({ $0.tty = true }).spec.process?.terminal == true)
        #expect(try build().spec.process?.terminal == nil)
    }
}

@Suite struct UserTests {
    func user(image: String? = nil, _ edit: @escaping (inout Runtime_V1_LinuxContainerSecurityContext) -> Void = { _ in })
        throws(BerthError) -> User {
        try build(security(edit), image: imageConfig { $0.user = image }).spec.process!.user
    }

    @Test func defaultIsRoot() throws {
        #expect(try user() == User(uid: 0, gid: 0, additionalGids: [0]))
    }

    @Test func runAsUserNumericKnown() throws {
        #expect(try user { $0.runAsUser.value = 1000 } == User(uid: 1000, gid: 1000, additionalGids: [1000, 50, 29]))
    }

    @Test func runAsUserNumericUnknownGetsGidZero() throws {
        #expect(try user { $0.runAsUser.value = 1234 } == User(uid: 1234, gid: 0, additionalGids: [0]))
    }

    @Test func runAsUsername() throws {
        #expect(try user { $0.runAsUsername = "www-data" } == User(uid: 33, gid: 33, additionalGids: [33]))
    }

    @Test func usernameWinsOverUid() throws {
        #expect(try user { $0.runAsUser.value = 5; $0.runAsUsername = "alice" }.uid == 1000)
    }

    @Test func runAsGroup() throws {
        let resolved = try user { $0.runAsUser.value = 1000; $0.runAsGroup.value = 44 }
        #expect(resolved.uid == 1000 && resolved.gid == 44)
        #expect(resolved.additionalGids == [44, 50, 29])
    }

    @Test func runAsGroupWithoutUserIsInvalid() {
        let failure = error { try user { $0.runAsGroup.value = 5 } }
        #expect(failure == BerthError(.invalidArgument, "linux.security_context.run_as_group: requires run_as_user or run_as_username"))
    }

    @Test func runAsGroupWithOnlyImageUserIsInvalid() {
        #expect(error { try user(image: "alice") { $0.runAsGroup.value = 5 } }?.code == .invalidArgument)
    }

    @Test func unknownUsernameNamesIt() {
        let failure = error { try user { $0.runAsUsername = "nobody" } }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.contains("run_as_username") == true)
        #expect(failure?.message.contains("\"nobody\"") == true)
    }

    @Test(arguments: [
        ("1002", User(uid: 1002, gid: 0, additionalGids: [0])),
        ("www-data", User(uid: 33, gid: 33, additionalGids: [33])),
        ("1003:1004", User(uid: 1003, gid: 1004, additionalGids: [1004])),
        ("www-data:1004", User(uid: 33, gid: 1004, additionalGids: [1004])),
        ("alice:staff", User(uid: 1000, gid: 50, additionalGids: [50, 29])),
        ("1000", User(uid: 1000, gid: 1000, additionalGids: [1000, 50, 29])),
    ])
    func imageUser(_ spec: String, _ expected: User) throws {
        #expect(try user(image: spec) == expected)
    }

    @Test func imageUserUnknownName() {
        let failure = error { try user(image: "ghost") }
        #expect(failure?.message.contains("image config User") == true)
        #expect(error { try user(image: "alice:nogroup") }?.message.contains("\"nogroup\"") == true)
    }

    @Test func requestOverridesImageUser() throws {
        #expect(try user(image: "alice") { $0.runAsUser.value = 33 }.uid == 33)
    }

    @Test func supplementalGroupsMerge() throws {
        let resolved = try user { $0.runAsUser.value = 1000; $0.supplementalGroups = [29, 700, 700] }
        #expect(resolved.additionalGids == [1000, 50, 29, 700])
    }

    @Test func supplementalGroupsStrict() throws {
        let resolved = try user {
            $0.runAsUser.value = 1000
            $0.supplementalGroups = [700]
            $0.supplementalGroupsPolicy = .strict
        }
        #expect(resolved.additionalGids == [1000, 700])
    }

    @Test func databaseParsing() {
        #expect(UserDatabase.passwd(passwd).map(\.name) == ["root", "www-data", "alice"])
        #expect(UserDatabase.group(group).first { $0.name == "staff" }?.members == ["alice", "bob"])
        #expect(UserDatabase.passwd(nil).isEmpty)
    }
}
