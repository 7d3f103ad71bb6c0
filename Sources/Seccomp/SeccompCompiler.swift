#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CSeccomp
import RuntimeSpec

/// Turns a profile into the classic BPF program the shim installs with
/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &program)`.
public enum SeccompCompiler {
    /// The filter as the raw array of `struct sock_filter` (8 bytes each), ready for a
    /// `struct sock_fprog`. No-new-privileges is left to the shim, so the filter does not set it.
    public static func compile(_ profile: Seccomp) throws(BerthError) -> [UInt8] {
        do {
            return try build(profile)
        } catch {
            throw BerthError(.invalidArgument, "compile seccomp profile: \(error.message)")
        }
    }

    /// The `SECCOMP_FILTER_FLAG_*` bits the profile's `flags` ask for, to pass to seccomp(2)
    /// when loading; they are not part of the BPF program.
    public static func filterFlags(_ profile: Seccomp) throws(BerthError) -> UInt32 {
        var bits: UInt32 = 0
        for flag in profile.flags ?? [] {
            guard let bit = SeccompFilterFlag.values[flag] else {
                throw BerthError(.invalidArgument, "seccomp profile: unknown flag \(quoted(flag))")
            }
            bits |= bit
        }
        return bits
    }

    static func build(_ profile: Seccomp) throws(SeccompProblem) -> [UInt8] {
        try SeccompValidation.check(profile)
        let defaultAction = try SeccompAction.value(profile.defaultAction, errnoRet: profile.defaultErrnoRet)
        guard let context = seccomp_init(defaultAction) else {
            throw SeccompProblem("seccomp_init failed (default action \(profile.defaultAction))")
        }
        defer { seccomp_release(context) }
        // The shim sets no_new_privs itself when the container asks for it; a filter that set it
        // would take setuid binaries away from containers that did not ask.
        try check(seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set(CTL_NNP, 0)")
        for architecture in profile.architectures ?? [] {
            let rc = seccomp_arch_add(context, try SeccompValidation.architectureToken(architecture))
            // The native architecture is in every new filter already.
            if rc != -EEXIST { try check(rc, "add architecture \(architecture)") }
        }
        for (index, rule) in (profile.syscalls ?? []).enumerated() {
            try add(rule, at: index, to: context, defaultAction: defaultAction)
        }
        return try export(context)
    }

    static func add(_ rule: Seccomp.Syscall, at index: Int, to context: scmp_filter_ctx,
                    defaultAction: UInt32) throws(SeccompProblem) {
        let action = try SeccompAction.value(rule.action, errnoRet: rule.errnoRet)
        // libseccomp refuses rules that repeat the default action; they change nothing.
        if action == defaultAction { return }
        let comparisons = (rule.args ?? []).map { arg in
            // MASKED_EQ compares (argument & value) with valueTwo: libseccomp's datum_a is the mask.
            scmp_arg_cmp(arg: arg.index, op: scmp_compare(SeccompOperator.values[arg.op] ?? 0),
                         datum_a: arg.value, datum_b: arg.valueTwo ?? 0)
        }
        // Conditions on one argument index cannot be ANDed by libseccomp; like runc, such a
        // rule becomes one rule per condition (any of them matching applies the action).
        let indexes = comparisons.map(\.arg)
        let groups = Set(indexes).count == indexes.count ? [comparisons] : comparisons.map { [$0] }
        for name in rule.names {
            guard let number = SeccompValidation.syscallNumber(name) else {
                throw SeccompProblem("syscalls[\(index)]: unknown system call \(quoted(name))")
            }
            for group in groups {
                let rc = group.withUnsafeBufferPointer { buffer in
                    seccomp_rule_add_array(context, action, number, UInt32(buffer.count), buffer.baseAddress)
                }
                try check(rc, "syscalls[\(index)] \(name): add rule \(rule.action)")
            }
        }
    }

    /// libseccomp 2.5 exports only to a file descriptor: an anonymous temporary file, read back.
    static func export(_ context: scmp_filter_ctx) throws(SeccompProblem) -> [UInt8] {
        guard let file = tmpfile() else {
            throw SeccompProblem("export BPF: no temporary file: \(FileSystem.errnoText())")
        }
        defer { fclose(file) }
        let fd = fileno(file)
        try check(seccomp_export_bpf(context, fd), "export BPF")
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw SeccompProblem("export BPF: lseek: \(FileSystem.errnoText())") }
        var program: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SeccompProblem("export BPF: read back: \(FileSystem.errnoText())")
            }
            if count == 0 { break }
            program += chunk[0 ..< count]
        }
        guard !program.isEmpty, program.count % 8 == 0 else {
            throw SeccompProblem("export BPF: libseccomp wrote \(program.count) bytes, not whole instructions")
        }
        return program
    }

    static func check(_ rc: Int32, _ what: String) throws(SeccompProblem) {
        if rc < 0 { throw SeccompProblem("\(what): \(FileSystem.errnoText(-rc))") }
    }
}
