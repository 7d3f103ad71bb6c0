import BerthBase
import RuntimeSpec

/// A profile's action names as libseccomp's action values. The C header defines the actions
/// as macros (some with arguments) that Swift cannot import, so the values are spelled here.
enum SeccompAction {
    static let killThread: UInt32 = 0x0000_0000
    static let killProcess: UInt32 = 0x8000_0000
    static let trap: UInt32 = 0x0003_0000
    static let errnoBase: UInt32 = 0x0005_0000
    static let traceBase: UInt32 = 0x7ff0_0000
    static let log: UInt32 = 0x7ffc_0000
    static let allow: UInt32 = 0x7fff_0000

    /// EPERM: what ERRNO and TRACE return when the profile names no number, as runc does.
    static let defaultErrno: UInt32 = 1

    /// Every action name a profile may use, including the ones refused when compiling.
    static let names: Set<String> = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]

    /// The libseccomp value of `name`; `errnoRet` feeds ERRNO and TRACE.
    static func value(_ name: String, errnoRet: UInt32?) throws(SeccompProblem) -> UInt32 {
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return killThread
        case "SCMP_ACT_KILL_PROCESS": return killProcess
        case "SCMP_ACT_TRAP": return trap
        case "SCMP_ACT_ERRNO": return errnoBase | ((errnoRet ?? defaultErrno) & 0xffff)
        case "SCMP_ACT_TRACE": return traceBase | ((errnoRet ?? defaultErrno) & 0xffff)
        case "SCMP_ACT_ALLOW": return allow
        case "SCMP_ACT_LOG": return log
        case "SCMP_ACT_NOTIFY":
            // A notify filter needs a listener socket handed to an agent; Berth has none.
            throw SeccompProblem("action SCMP_ACT_NOTIFY is not supported (Berth has no seccomp notify agent)")
        default:
            throw SeccompProblem("unknown action \(quoted(name))")
        }
    }
}

/// Argument comparison operators, as libseccomp numbers them.
enum SeccompOperator {
    static let values: [String: UInt32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
        "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
    ]
}

/// The seccomp(2) filter flags a profile may ask for; they go to the load, not into the BPF.
enum SeccompFilterFlag {
    static let values: [String: UInt32] = [
        "SECCOMP_FILTER_FLAG_TSYNC": 1,
        "SECCOMP_FILTER_FLAG_LOG": 2,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 32,
    ]
}

/// One thing wrong with a profile, before it is given the profile's name.
struct SeccompProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

func quoted(_ text: String) -> String { "\"\(text)\"" }
