import Glibc

/// Signal names as images and CRI write them (`SIGTERM`, `TERM`, `15`, `SIGRTMIN+3`).
public enum Signals {
    static let table: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT, "IOT": SIGABRT,
        "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2,
        "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "STKFLT": SIGSTKFLT, "CHLD": SIGCHLD, "CONT": SIGCONT,
        "STOP": SIGSTOP, "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU,
        "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM, "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "POLL": SIGIO,
        "PWR": SIGPWR, "SYS": SIGSYS,
    ]

    /// The number of a signal name, or nil when it names none.
    public static func number(_ name: String) -> Int32? {
        let upper = name.uppercased()
        if let value = Int32(upper), value > 0, value < 65 { return value }
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        if let value = table[bare] { return value }
        let realtimeMin: Int32 = 34, realtimeMax: Int32 = 64
        if bare.hasPrefix("RTMIN") {
            let offset = bare.dropFirst(5)
            if offset.isEmpty { return realtimeMin }
            if offset.hasPrefix("+"), let n = Int32(offset.dropFirst()), realtimeMin + n <= realtimeMax { return realtimeMin + n }
        }
        if bare.hasPrefix("RTMAX") {
            let offset = bare.dropFirst(5)
            if offset.isEmpty { return realtimeMax }
            if offset.hasPrefix("-"), let n = Int32(offset.dropFirst()), realtimeMax - n >= realtimeMin { return realtimeMax - n }
        }
        return nil
    }
}
