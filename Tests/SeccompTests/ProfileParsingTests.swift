import BerthBase
import RuntimeSpec
import Testing
@testable import Seccomp

private func parse(_ text: String, capabilities: Set<String> = [], architecture: String = "amd64") throws(BerthError) -> Seccomp {
    try SeccompProfiles.parse(json: Array(text.utf8), source: "/etc/berth/profiles/test.json",
                              capabilities: capabilities, architecture: architecture)
}

private func failure(_ text: String) -> BerthError? {
    do {
        _ = try parse(text)
        return nil
    } catch {
        return error
    }
}

struct ProfileParsingTests {
    @Test func ociProfileDenyingChmod() throws {
        let profile = try parse("""
        {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [{"names": ["chmod", "fchmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"}]}
        """)
        #expect(profile.syscalls?.first?.names == ["chmod", "fchmod", "fchmodat"])
        let filter = try BPFMachine(SeccompCompiler.compile(profile))
        #expect(try filter.run("chmod") == Verdict.eperm)
        #expect(try filter.run("fchmodat") == Verdict.eperm)
        #expect(try filter.run("chown") == Verdict.allow)
    }

    @Test func errnoRetAndArgumentConditions() throws {
        let profile = try parse("""
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
           "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
          {"names": ["openat"], "action": "SCMP_ACT_KILL_PROCESS",
           "args": [{"index": 2, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}
        ]}
        """)
        let filter = try BPFMachine(SeccompCompiler.compile(profile))
        #expect(try filter.run("write", 1) == Verdict.allow)
        #expect(try filter.run("write", 2) == Verdict.errno(13))
        #expect(try filter.run("openat", 0, 0, 0) == Verdict.allow)
        #expect(try filter.run("openat", 0, 0, 1) == 0x8000_0000)
        #expect(try filter.run("openat", 0, 0, 2) == Verdict.allow)
    }

    @Test func repeatedArgumentIndexMeansAnyOf() throws {
        let profile = try parse("""
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
          {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
           "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
        ]}
        """)
        let filter = try BPFMachine(SeccompCompiler.compile(profile))
        #expect(try filter.run("personality", 0) == Verdict.allow)
        #expect(try filter.run("personality", 8) == Verdict.allow)
        #expect(try filter.run("personality", 9) == Verdict.eperm)
    }

    @Test func malformedJSONNamesTheFile() {
        let error = failure("{\"defaultAction\": \"SCMP_ACT_ALLOW\", ")
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("/etc/berth/profiles/test.json") == true)
        #expect(error?.message.contains("malformed JSON") == true)
        #expect(failure("   ")?.message.contains("empty") == true)
        #expect(failure("{\"syscalls\": []}")?.message.contains("defaultAction") == true)
        #expect(failure("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}]}")?
            .message.contains("syscalls[0].names") == true)
    }

    @Test func unknownActionIsNamed() {
        let error = failure("""
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_MAYBE"}]}
        """)
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("/etc/berth/profiles/test.json") == true)
        #expect(error?.message.contains("syscalls[0] (read)") == true)
        #expect(error?.message.contains("\"SCMP_ACT_MAYBE\"") == true)
        #expect(failure("{\"defaultAction\": \"SCMP_ACT_NOPE\"}")?.message.contains("defaultAction: unknown action \"SCMP_ACT_NOPE\"") == true)
    }

    @Test func unknownSyscallIsNamed() {
        let error = failure("""
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "frobnicate"], "action": "SCMP_ACT_ALLOW"}]}
        """)
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("unknown system call \"frobnicate\"") == true)
    }

    @Test func badOperatorArchitectureIndexAndFlag() {
        #expect(failure("""
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]}
        """)?.message.contains("unknown argument operator \"SCMP_CMP_ALMOST\"") == true)
        #expect(failure("""
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}
        """)?.message.contains("argument index 6") == true)
        #expect(failure("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_Z80\"]}")?
            .message.contains("unknown architecture \"SCMP_ARCH_Z80\"") == true)
        #expect(failure("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}")?
            .message.contains("unknown flag") == true)
    }

    @Test func notifyIsRefused() throws {
        let error = failure("""
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]}
        """)
        #expect(error?.message.contains("SCMP_ACT_NOTIFY is not supported") == true)
        let profile = Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [.init(names: ["mount"], action: "SCMP_ACT_NOTIFY")])
        #expect(throws: BerthError.self) { try SeccompCompiler.compile(profile) }
    }

    @Test func compilerNamesTheRuleItRefuses() {
        let profile = Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            .init(names: ["read"], action: "SCMP_ACT_LOG"),
            .init(names: ["no_such_call"], action: "SCMP_ACT_ERRNO"),
        ])
        do {
            _ = try SeccompCompiler.compile(profile)
            Issue.record("compiled a profile naming an unknown system call")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("syscalls[1]"))
            #expect(error.message.contains("\"no_such_call\""))
        }
    }

    @Test func everyActionCompiles() throws {
        let profile = Seccomp(defaultAction: "SCMP_ACT_KILL", architectures: ["SCMP_ARCH_X86_64"], syscalls: [
            .init(names: ["read"], action: "SCMP_ACT_ALLOW"),
            .init(names: ["write"], action: "SCMP_ACT_LOG"),
            .init(names: ["openat"], action: "SCMP_ACT_TRAP"),
            .init(names: ["close"], action: "SCMP_ACT_TRACE", errnoRet: 7),
            .init(names: ["mount"], action: "SCMP_ACT_KILL_PROCESS"),
            .init(names: ["chmod"], action: "SCMP_ACT_ERRNO"),
            .init(names: ["getpid"], action: "SCMP_ACT_KILL_THREAD"),
        ])
        let filter = try BPFMachine(SeccompCompiler.compile(profile))
        #expect(try filter.run("read") == 0x7fff_0000)
        #expect(try filter.run("write") == 0x7ffc_0000)
        #expect(try filter.run("openat") == 0x0003_0000)
        #expect(try filter.run("close") == 0x7ff0_0007)
        #expect(try filter.run("mount") == 0x8000_0000)
        #expect(try filter.run("chmod") == Verdict.eperm)
        #expect(try filter.run("getpid") == 0)
        #expect(try filter.run("fork") == 0)
    }

    @Test func filterFlagsBecomeBits() throws {
        let profile = Seccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])
        #expect(try SeccompCompiler.filterFlags(profile) == 6)
    }
}
