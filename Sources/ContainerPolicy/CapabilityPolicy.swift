import BerthBase
import RuntimeSpec

/// Linux capabilities by name and number, and the CRI's add/drop rules over containerd's
/// default set.
public enum CapabilityPolicy {
    /// Every capability, in number order: `all[n]` is capability n.
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// containerd's default set.
    public static let defaults: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// The capability's number (`CAP_SYS_ADMIN` → 21), nil when unknown.
    public static func number(of name: String) -> Int? {
        all.firstIndex(of: name)
    }

    /// Bit mask of the named capabilities; unknown names are an error.
    public static func mask(_ names: [String]?) throws(BerthError) -> UInt64 {
        var mask: UInt64 = 0
        for name in names ?? [] {
            guard let number = number(of: name) else {
                throw BerthError(.invalidArgument, "capabilities: unknown capability \"\(name)\"")
            }
            mask |= 1 << UInt64(number)
        }
        return mask
    }

    /// `sys_admin`, `SYS_ADMIN` or `CAP_SYS_ADMIN` → `CAP_SYS_ADMIN`; nil when unknown.
    public static func canonical(_ name: String) -> String? {
        let upper = name.uppercased()
        let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        return all.contains(full) ? full : nil
    }

    /// The process capabilities: the default set with `add`/`drop` applied in containerd's
    /// order (add ALL, drop ALL, then the named adds, then the named drops), ambient and
    /// inheritable from `ambient`. For a non-root user effective and permitted keep only the
    /// ambient ones. Privileged: every capability.
    public static func capabilities(add: [String], drop: [String], ambient: [String], privileged: Bool,
                                    uid: UInt32) throws(BerthError) -> Capabilities {
        func resolve(_ names: [String], field: String) throws(BerthError) -> [String] {
            var result: [String] = []
            for name in names where name.uppercased() != "ALL" {
                guard let canonical = canonical(name) else {
                    throw BerthError(.invalidArgument, "linux.security_context.capabilities.\(field): unknown capability \"\(name)\"")
                }
                result.append(canonical)
            }
            return result
        }
        let added = try resolve(add, field: "add_capabilities")
        let dropped = try resolve(drop, field: "drop_capabilities")
        let ambientSet = try resolve(ambient, field: "add_ambient_capabilities")

        var set: [String]
        if privileged {
            set = all
        } else {
            set = defaults
            if add.contains(where: { $0.uppercased() == "ALL" }) { set = all }
            if drop.contains(where: { $0.uppercased() == "ALL" }) { set = [] }
            for name in added where !set.contains(name) { set.append(name) }
            set.removeAll { dropped.contains($0) }
        }
        var caps = Capabilities(bounding: set, effective: set, inheritable: nil, permitted: set, ambient: nil)
        if !ambientSet.isEmpty {
            caps.ambient = ambientSet
            caps.inheritable = ambientSet
        }
        if uid != 0 {
            caps.effective = set.filter { ambientSet.contains($0) }
            caps.permitted = caps.effective
        }
        return caps
    }
}
