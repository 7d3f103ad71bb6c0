import BerthBase
import RuntimeSpec
import Testing
@testable import Seccomp

private let dockerProfile = """
{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
  ],
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "always"},
    {"name": "getpid", "action": "SCMP_ACT_ALLOW"},
    {"names": ["mount", "umount2"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["syslog"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_SYSLOG"]}},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["cacheflush"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    {"names": ["uselib"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "999.0"}},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"minKernel": "999.0"}}
  ]
}
"""

private func names(_ profile: Seccomp) -> [String] { (profile.syscalls ?? []).flatMap(\.names) }

struct DockerProfileTests {
    @Test func archMapPicksTheNativeFamily() throws {
        let amd64 = try SeccompProfiles.parse(json: Array(dockerProfile.utf8), source: "docker.json", architecture: "amd64")
        #expect(amd64.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(amd64.defaultErrnoRet == 1)
        let arm64 = try SeccompProfiles.parse(json: Array(dockerProfile.utf8), source: "docker.json", architecture: "arm64")
        #expect(arm64.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
    }

    @Test func legacyNameAndConditionsWithoutCapabilities() throws {
        let profile = try SeccompProfiles.parse(json: Array(dockerProfile.utf8), source: "docker.json", architecture: "amd64")
        let listed = names(profile)
        #expect(listed.contains("getpid"))
        #expect(!listed.contains("mount"))
        #expect(!listed.contains("syslog"))
        #expect(listed.contains("clone"))
        #expect(listed.contains("arch_prctl"))
        #expect(!listed.contains("cacheflush"))
        #expect(listed.contains("ptrace"))   // this kernel is newer than 4.8
        #expect(!listed.contains("uselib"))
        #expect(listed.contains("clone3"))
        #expect(profile.syscalls?.first(where: { $0.names == ["clone3"] })?.errnoRet == 38)
        let filter = try BPFMachine(SeccompCompiler.compile(profile))
        #expect(try filter.run("mount") == Verdict.eperm)
        #expect(try filter.run("clone", 0x2000_0000) == Verdict.eperm)
        #expect(try filter.run("clone", 17) == Verdict.allow)
    }

    @Test func includesAndExcludesByCapability() throws {
        let admin = try SeccompProfiles.parse(json: Array(dockerProfile.utf8), source: "docker.json",
                                              capabilities: ["SYS_ADMIN"], architecture: "amd64")
        #expect(names(admin).contains("mount"))
        #expect(!names(admin).contains("syslog"))   // needs both capabilities
        #expect(!names(admin).contains("clone"))    // the masked rule is for containers without SYS_ADMIN
        let both = try SeccompProfiles.parse(json: Array(dockerProfile.utf8), source: "docker.json",
                                             capabilities: ["CAP_SYS_ADMIN", "cap_syslog"], architecture: "amd64")
        #expect(names(both).contains("syslog"))
    }

    @Test func architecturesAndArchMapTogetherAreRefused() {
        let text = """
        {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
         "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}
        """
        #expect(throws: BerthError.self) { try SeccompProfiles.parse(json: Array(text.utf8), source: "both.json") }
    }

    @Test func ruleWithoutNamesIsRefused() {
        let text = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}"
        do {
            _ = try SeccompProfiles.parse(json: Array(text.utf8), source: "nameless.json")
            Issue.record("accepted a rule naming no system call")
        } catch {
            #expect(error.message == "seccomp profile nameless.json: syscalls[0]: names no system call")
        }
    }

    @Test func badMinKernelIsRefused() {
        let text = """
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "soon"}}]}
        """
        #expect(throws: BerthError.self) { try SeccompProfiles.parse(json: Array(text.utf8), source: "k.json") }
    }
}
