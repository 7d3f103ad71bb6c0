import BerthBase
import CSeccomp
import RuntimeSpec

/// The checks every profile passes before it is compiled, so a bad profile is refused with
/// the rule and name at fault rather than with a bare libseccomp return code.
enum SeccompValidation {
    /// The highest argument index a system call has (arguments 0 … 5).
    static let maxArgumentIndex: UInt32 = 5

    static func check(_ profile: Seccomp) throws(SeccompProblem) {
        do {
            _ = try SeccompAction.value(profile.defaultAction, errnoRet: profile.defaultErrnoRet)
        } catch {
            throw SeccompProblem("defaultAction: \(error.message)")
        }
        for architecture in profile.architectures ?? [] {
            _ = try architectureToken(architecture)
        }
        for flag in profile.flags ?? [] where SeccompFilterFlag.values[flag] == nil {
            throw SeccompProblem("unknown flag \(quoted(flag))")
        }
        for (index, rule) in (profile.syscalls ?? []).enumerated() {
            try check(rule, at: index)
        }
    }

    static func check(_ rule: Seccomp.Syscall, at index: Int) throws(SeccompProblem) {
        let label = "syscalls[\(index)] (\(rule.names.joined(separator: ", ")))"
        guard !rule.names.isEmpty else { throw SeccompProblem("syscalls[\(index)]: names no system call") }
        do {
            _ = try SeccompAction.value(rule.action, errnoRet: rule.errnoRet)
        } catch {
            throw SeccompProblem("\(label): \(error.message)")
        }
        for name in rule.names where syscallNumber(name) == nil {
            throw SeccompProblem("\(label): unknown system call \(quoted(name)) (libseccomp does not know it)")
        }
        for arg in rule.args ?? [] {
            guard arg.index <= maxArgumentIndex else {
                throw SeccompProblem("\(label): argument index \(arg.index) is out of range (0…\(maxArgumentIndex))")
            }
            guard SeccompOperator.values[arg.op] != nil else {
                throw SeccompProblem("\(label): unknown argument operator \(quoted(arg.op))")
            }
        }
    }

    /// libseccomp's number for a system call name (negative for calls this machine's
    /// architecture lacks but another has), or nil when libseccomp knows no such call.
    static func syscallNumber(_ name: String) -> Int32? {
        let number = seccomp_syscall_resolve_name(name)
        return number == __NR_SCMP_ERROR ? nil : number
    }

    /// libseccomp's token for `SCMP_ARCH_X86_64` and the like.
    static func architectureToken(_ name: String) throws(SeccompProblem) -> UInt32 {
        let prefix = "SCMP_ARCH_"
        guard name.hasPrefix(prefix) else { throw SeccompProblem("unknown architecture \(quoted(name))") }
        let token = seccomp_arch_resolve_name(String(name.dropFirst(prefix.count)).lowercased())
        guard token != 0 else { throw SeccompProblem("unknown architecture \(quoted(name))") }
        return token
    }
}
