#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import RuntimeSpec

/// The seccomp profiles Berth gives containers: its built-in default and profiles read from files.
public enum SeccompProfiles {
    /// This machine's architecture as Go (and so Docker profiles' `arches`) names it.
    public static let hostArchitecture: String = {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #elseif arch(arm)
        "arm"
        #elseif arch(i386)
        "386"
        #elseif arch(riscv64)
        "riscv64"
        #elseif arch(s390x)
        "s390x"
        #elseif arch(powerpc64le)
        "ppc64le"
        #else
        "unknown"
        #endif
    }()

    /// The runtime default profile for a container holding `capabilities` (`CAP_SYS_ADMIN` or
    /// `SYS_ADMIN` spellings both work): an allowlist whose other calls fail with EPERM,
    /// behaving like containerd's and Docker's default. Without CAP_SYS_ADMIN a container cannot
    /// mount, unshare, setns or clone new namespaces; without CAP_SYS_PTRACE it cannot ptrace;
    /// module loading, reboot and clock setting likewise need their capabilities; the kernel
    /// keyring is never reachable. Calls the installed libseccomp does not know are left out.
    public static func runtimeDefault(capabilities: Set<String>,
                                      architecture: String = hostArchitecture) -> Seccomp {
        let capabilities = Set(capabilities.map(normalizedCapability))
        let allowed = { (name: String) in SeccompValidation.syscallNumber(name) != nil }
        var emitted = Set<String>()
        var rules: [Seccomp.Syscall] = []
        func allow(_ names: [String]) {
            let fresh = names.filter { allowed($0) && emitted.insert($0).inserted }
            if !fresh.isEmpty { rules.append(Seccomp.Syscall(names: fresh, action: "SCMP_ACT_ALLOW")) }
        }

        allow(RuntimeDefaultSyscalls.always)
        for value in RuntimeDefaultSyscalls.personalities {
            rules.append(Seccomp.Syscall(names: ["personality"], action: "SCMP_ACT_ALLOW",
                                         args: [Seccomp.Arg(index: 0, value: value, op: "SCMP_CMP_EQ")]))
        }
        rules.append(Seccomp.Syscall(names: ["socket"], action: "SCMP_ACT_ALLOW", args: [
            Seccomp.Arg(index: 0, value: RuntimeDefaultSyscalls.addressFamilyVsock, op: "SCMP_CMP_NE"),
        ]))
        for entry in RuntimeDefaultSyscalls.byArchitecture where entry.architectures.contains(architecture) {
            allow(entry.names)
        }
        for entry in RuntimeDefaultSyscalls.byCapability where capabilities.contains(entry.capability) {
            allow(entry.names)
        }
        if !capabilities.contains("CAP_SYS_ADMIN") {
            // clone's flags are its first argument (the second on s390): allowed when it asks
            // for no new namespace.
            let flagsIndex: UInt32 = architecture.hasPrefix("s390") ? 1 : 0
            rules.append(Seccomp.Syscall(names: ["clone"], action: "SCMP_ACT_ALLOW", args: [
                Seccomp.Arg(index: flagsIndex, value: RuntimeDefaultSyscalls.cloneNamespaceFlags, valueTwo: 0,
                            op: "SCMP_CMP_MASKED_EQ"),
            ]))
            rules.append(Seccomp.Syscall(names: ["clone3"], action: "SCMP_ACT_ERRNO",
                                         errnoRet: RuntimeDefaultSyscalls.enosys))
        }
        return Seccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
                       architectures: RuntimeDefaultSyscalls.architectures[architecture] ?? [],
                       syscalls: rules)
    }

    /// `sys_admin` → `CAP_SYS_ADMIN`: CRI and Docker profiles use both spellings.
    public static func normalizedCapability(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }
}
