import BerthBase
import Foundation
import RuntimeSpec
import Testing
@testable import Seccomp

/// The capabilities runc and containerd give a container by default.
let defaultCapabilities: Set<String> = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

func machine(_ profile: Seccomp) throws -> BPFMachine {
    try BPFMachine(SeccompCompiler.compile(profile))
}

func allowedNames(_ profile: Seccomp) -> Set<String> {
    Set((profile.syscalls ?? []).filter { $0.action == "SCMP_ACT_ALLOW" && ($0.args ?? []).isEmpty }.flatMap(\.names))
}

struct RuntimeDefaultTests {
    @Test func compilesToWholeInstructions() throws {
        let bpf = try SeccompCompiler.compile(SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities))
        #expect(!bpf.isEmpty)
        #expect(bpf.count % 8 == 0)
    }

    @Test func coversTheX86Architectures() {
        let profile = SeccompProfiles.runtimeDefault(capabilities: [], architecture: "amd64")
        #expect(profile.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(profile.defaultAction == "SCMP_ACT_ERRNO")
        #expect(profile.defaultErrnoRet == 1)
    }

    @Test func ordinaryCallsAreAllowed() throws {
        let filter = try machine(SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities))
        for name in ["read", "write", "openat", "execve", "exit_group", "mmap", "futex", "chroot", "arch_prctl", "chmod"] {
            #expect(try filter.run(name) == Verdict.allow, "\(name)")
        }
        #expect(try filter.run("read", arch: BPFMachine.i386) == Verdict.allow)
    }

    @Test func dangerousCallsFailWithEPERM() throws {
        let filter = try machine(SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities))
        for name in ["mount", "umount2", "unshare", "setns", "ptrace", "init_module", "finit_module", "delete_module",
                     "reboot", "keyctl", "add_key", "request_key", "settimeofday", "clock_settime", "kexec_load",
                     "open_by_handle_at", "bpf", "perf_event_open", "swapon", "acct", "userfaultfd"] {
            #expect(try filter.run(name) == Verdict.eperm, "\(name)")
        }
        // The 32-bit entry points are filtered as well.
        #expect(try filter.run("mount", arch: BPFMachine.i386) == Verdict.eperm)
        #expect(try filter.run("keyctl", arch: BPFMachine.i386) == Verdict.eperm)
    }

    @Test func keyringStaysClosedWhateverTheCapabilities() throws {
        let everything = Set(RuntimeDefaultSyscalls.byCapability.map(\.capability))
        let filter = try machine(SeccompProfiles.runtimeDefault(capabilities: everything))
        for name in ["keyctl", "add_key", "request_key"] {
            #expect(try filter.run(name) == Verdict.eperm, "\(name)")
        }
    }

    @Test func cloneMayNotCreateNamespacesWithoutSysAdmin() throws {
        let filter = try machine(SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities))
        let sigchld: UInt64 = 17
        let thread: UInt64 = 0x3d0f00 // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
        #expect(try filter.run("clone", sigchld) == Verdict.allow)
        #expect(try filter.run("clone", thread) == Verdict.allow)
        for namespace: UInt64 in [0x20000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000] {
            #expect(try filter.run("clone", namespace | sigchld) == Verdict.eperm, "flag \(namespace)")
        }
        // clone3 hides its flags in memory: ENOSYS sends libc back to clone.
        #expect(try filter.run("clone3") == Verdict.enosys)
    }

    @Test func sysAdminOpensMountAndNamespaces() throws {
        let filter = try machine(SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities.union(["CAP_SYS_ADMIN"])))
        for name in ["mount", "umount2", "unshare", "setns", "sethostname", "clone3"] {
            #expect(try filter.run(name) == Verdict.allow, "\(name)")
        }
        #expect(try filter.run("clone", 0x2000_0000 | 17) == Verdict.allow)
        #expect(try filter.run("ptrace") == Verdict.eperm)
    }

    @Test(arguments: [
        ("CAP_SYS_PTRACE", ["ptrace", "process_vm_readv", "kcmp"]),
        ("CAP_SYS_MODULE", ["init_module", "finit_module", "delete_module"]),
        ("CAP_SYS_BOOT", ["reboot"]),
        ("CAP_SYS_TIME", ["settimeofday", "clock_settime"]),
        ("sys_pacct", ["acct"]),
        ("CAP_SYS_RAWIO", ["iopl", "ioperm"]),
        ("CAP_SYS_NICE", ["mbind", "set_mempolicy"]),
        ("CAP_SYSLOG", ["syslog"]),
    ])
    func capabilityConditionalCalls(capability: String, names: [String]) throws {
        let without = SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities)
        let with = SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities.union([capability]))
        let withoutFilter = try machine(without)
        let withFilter = try machine(with)
        for name in names {
            #expect(!allowedNames(without).contains(name), "\(name)")
            #expect(allowedNames(with).contains(name), "\(name)")
            #expect(try withoutFilter.run(name) == Verdict.eperm, "\(name)")
            #expect(try withFilter.run(name) == Verdict.allow, "\(name)")
        }
    }

    @Test func personalityOnlyWithHarmlessValues() throws {
        let filter = try machine(SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities))
        for value: UInt64 in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
            #expect(try filter.run("personality", value) == Verdict.allow, "\(value)")
        }
        // READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE weaken the process.
        #expect(try filter.run("personality", 0x0400000) == Verdict.eperm)
        #expect(try filter.run("personality", 0x0040000) == Verdict.eperm)
    }

    @Test func socketsExceptVsock() throws {
        let filter = try machine(SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities))
        #expect(try filter.run("socket", 2) == Verdict.allow)
        #expect(try filter.run("socket", 1) == Verdict.allow)
        #expect(try filter.run("socket", 40) == Verdict.eperm)
    }

    @Test func everyListedNameIsKnownOrLeftOut() {
        let profile = SeccompProfiles.runtimeDefault(capabilities: [])
        for name in (profile.syscalls ?? []).flatMap(\.names) {
            #expect(SeccompValidation.syscallNumber(name) != nil, "\(name)")
        }
        // The core of the list is known to any libseccomp.
        #expect(allowedNames(profile).isSuperset(of: ["read", "write", "openat", "execve"]))
    }

    @Test func roundTripsThroughJSON() throws {
        let profile = SeccompProfiles.runtimeDefault(capabilities: defaultCapabilities)
        let json = try JSONEncoder().encode(profile)
        #expect(try SeccompProfiles.parse(json: Array(json), source: "default.json") == profile)
    }
}
