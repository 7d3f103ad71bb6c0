#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import Foundation
import RuntimeSpec

extension SeccompProfiles {
    /// Reads a profile file's JSON, in the runtime specification's form or Docker's (with
    /// `archMap`, the legacy single `name`, and rules `includes`/`excludes` by capability,
    /// architecture and minimum kernel, evaluated here against `capabilities`, `architecture`
    /// and the running kernel). The result is checked as the compiler will check it, so errors
    /// come now and name `source`, the rule and what is wrong.
    public static func parse(json: [UInt8], source: String, capabilities: Set<String> = [],
                             architecture: String = hostArchitecture) throws(BerthError) -> Seccomp {
        let fail = { (message: String) in BerthError(.invalidArgument, "seccomp profile \(source): \(message)") }
        guard json.contains(where: { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }) else {
            throw fail("the file is empty")
        }
        let document: ProfileDocument
        do {
            document = try JSONDecoder().decode(ProfileDocument.self, from: Data(json))
        } catch let error as DecodingError {
            throw fail("malformed JSON: \(describe(error))")
        } catch {
            throw fail("malformed JSON: \(error)")
        }
        let profile: Seccomp
        do {
            profile = try document.profile(capabilities: Set(capabilities.map(normalizedCapability)),
                                           architecture: architecture, kernel: runningKernel())
            try SeccompValidation.check(profile)
        } catch {
            throw fail(error.message)
        }
        return profile
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(quoted(key.stringValue))\(path(context))"
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context))"
        case .valueNotFound(let type, let context): return "expected \(type), found null\(path(context))"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return (underlying ?? context.debugDescription) + path(context)
        @unknown default: return "\(error)"
        }
    }

    /// The running kernel's major and minor version, for `minKernel`.
    static func runningKernel() -> (Int, Int) {
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return kernelVersion(release) ?? (0, 0)
    }

    static func kernelVersion(_ text: String) -> (Int, Int)? {
        let parts = text.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
}

/// A profile file as written, in either form.
struct ProfileDocument: Decodable {
    var defaultAction: String
    var defaultErrnoRet: UInt32?
    var architectures: [String]?
    var archMap: [ArchitectureMapping]?
    var flags: [String]?
    var syscalls: [RuleDocument]?

    struct ArchitectureMapping: Decodable {
        var architecture: String
        var subArchitectures: [String]?
    }

    struct RuleDocument: Decodable {
        var names: [String]?
        var name: String?
        var action: String
        var errnoRet: UInt32?
        var args: [Seccomp.Arg]?
        var includes: Condition?
        var excludes: Condition?
    }

    struct Condition: Decodable {
        var caps: [String]?
        var arches: [String]?
        var minKernel: String?
    }

    func profile(capabilities: Set<String>, architecture: String, kernel: (Int, Int)) throws(SeccompProblem) -> Seccomp {
        if architectures?.isEmpty == false && archMap?.isEmpty == false {
            throw SeccompProblem("both \"architectures\" and \"archMap\" are given; a profile uses one of them")
        }
        var arches = architectures
        if let archMap, !archMap.isEmpty {
            // Docker's form: the native architecture's entry with the ones its kernel also runs.
            let native = RuntimeDefaultSyscalls.architectures[architecture]?.first
            arches = archMap.filter { $0.architecture == native }.flatMap { [$0.architecture] + ($0.subArchitectures ?? []) }
        }
        var rules: [Seccomp.Syscall] = []
        for (index, rule) in (syscalls ?? []).enumerated() {
            let names = (rule.names ?? []) + (rule.name.map { [$0] } ?? [])
            guard !names.isEmpty else { throw SeccompProblem("syscalls[\(index)]: names no system call") }
            for minKernel in [rule.includes?.minKernel, rule.excludes?.minKernel].compactMap({ $0 })
            where SeccompProfiles.kernelVersion(minKernel) == nil {
                throw SeccompProblem("syscalls[\(index)] (\(names.joined(separator: ", "))): bad minKernel \(quoted(minKernel))")
            }
            guard applies(rule, capabilities: capabilities, architecture: architecture, kernel: kernel) else { continue }
            rules.append(Seccomp.Syscall(names: names, action: rule.action, errnoRet: rule.errnoRet, args: rule.args))
        }
        return Seccomp(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet, architectures: arches,
                       flags: flags, syscalls: rules)
    }

    /// Docker's reading: excluded when any excluded capability is held, the architecture is
    /// excluded or the kernel is new enough; included only when every included capability is
    /// held, the architecture is listed and the kernel is new enough.
    func applies(_ rule: RuleDocument, capabilities: Set<String>, architecture: String, kernel: (Int, Int)) -> Bool {
        let atLeast = { (text: String) in SeccompProfiles.kernelVersion(text).map { kernel >= $0 } ?? false }
        if let excludes = rule.excludes {
            if excludes.arches?.contains(architecture) == true { return false }
            if excludes.caps?.contains(where: { capabilities.contains(SeccompProfiles.normalizedCapability($0)) }) == true { return false }
            if let minKernel = excludes.minKernel, atLeast(minKernel) { return false }
        }
        if let includes = rule.includes {
            if let arches = includes.arches, !arches.isEmpty, !arches.contains(architecture) { return false }
            if includes.caps?.allSatisfy({ capabilities.contains(SeccompProfiles.normalizedCapability($0)) }) == false { return false }
            if let minKernel = includes.minKernel, !atLeast(minKernel) { return false }
        }
        return true
    }
}
