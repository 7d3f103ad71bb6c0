import BerthBase

/// Linux `MS_*` mount flags (from `<sys/mount.h>`), spelled out so the policy needs no libc.
public enum MountFlags {
    public static let rdonly: UInt = 0x1
    public static let nosuid: UInt = 0x2
    public static let nodev: UInt = 0x4
    public static let noexec: UInt = 0x8
    public static let synchronous: UInt = 0x10
    public static let remount: UInt = 0x20
    public static let mandlock: UInt = 0x40
    public static let dirsync: UInt = 0x80
    public static let nosymfollow: UInt = 0x100
    public static let noatime: UInt = 0x400
    public static let nodiratime: UInt = 0x800
    public static let bind: UInt = 0x1000
    public static let move: UInt = 0x2000
    public static let rec: UInt = 0x4000
    public static let silent: UInt = 0x8000
    public static let unbindable: UInt = 0x20000
    public static let `private`: UInt = 0x40000
    public static let slave: UInt = 0x80000
    public static let shared: UInt = 0x100000
    public static let relatime: UInt = 0x200000
    public static let strictatime: UInt = 0x1000000
    public static let lazytime: UInt = 0x2000000

    /// A mount's `options` split into what mount(2) and the shim take.
    public struct Parsed: Sendable, Equatable {
        /// Flags for the mount call (bind, rec, ro, nosuid, …).
        public var flags: UInt = 0
        /// Propagation flags applied afterwards (MS_REC|MS_SLAVE, …); 0: none.
        public var propagation: UInt = 0
        /// `rro`: recursive read-only.
        public var recursiveReadOnly = false
        /// Options that are not flags, joined with `,` (`mode=755,size=65536k`).
        public var data: String = ""

        public init(flags: UInt = 0, propagation: UInt = 0, recursiveReadOnly: Bool = false, data: String = "") {
            self.flags = flags
            self.propagation = propagation
            self.recursiveReadOnly = recursiveReadOnly
            self.data = data
        }
    }

    /// Options that set (`true`) or clear (`false`) a flag, as runc reads them.
    static let table: [String: (set: Bool, flag: UInt)] = [
        "ro": (true, rdonly), "rw": (false, rdonly),
        "nosuid": (true, nosuid), "suid": (false, nosuid),
        "nodev": (true, nodev), "dev": (false, nodev),
        "noexec": (true, noexec), "exec": (false, noexec),
        "sync": (true, synchronous), "async": (false, synchronous),
        "dirsync": (true, dirsync),
        "remount": (true, remount),
        "mand": (true, mandlock), "nomand": (false, mandlock),
        "noatime": (true, noatime), "atime": (false, noatime),
        "nodiratime": (true, nodiratime), "diratime": (false, nodiratime),
        "relatime": (true, relatime), "norelatime": (false, relatime),
        "strictatime": (true, strictatime), "nostrictatime": (false, strictatime),
        "lazytime": (true, lazytime), "nolazytime": (false, lazytime),
        "nosymfollow": (true, nosymfollow), "symfollow": (false, nosymfollow),
        "bind": (true, bind), "rbind": (true, bind | rec), "recursive": (true, rec),
    ]

    static let propagationTable: [String: UInt] = [
        "private": `private`, "rprivate": rec | `private`,
        "slave": slave, "rslave": rec | slave,
        "shared": shared, "rshared": rec | shared,
        "unbindable": unbindable, "runbindable": rec | unbindable,
    ]

    /// Splits mount options into flags, propagation, `rro` and data.
    public static func parse(_ options: [String]) -> Parsed {
        var parsed = Parsed()
        var data: [String] = []
        for option in options {
            if let entry = table[option] {
                if entry.set { parsed.flags |= entry.flag } else { parsed.flags &= ~entry.flag }
            } else if let propagation = propagationTable[option] {
                parsed.propagation = propagation
            } else if option == "rro" {
                parsed.recursiveReadOnly = true
            } else if !option.isEmpty {
                data.append(option)
            }
        }
        parsed.data = data.joined(separator: ",")
        return parsed
    }

    /// A propagation name (`rshared`, `rslave`, `rprivate`, …) as flags; nil or empty →
    /// MS_REC|MS_SLAVE.
    public static func rootPropagation(_ name: String?) throws(BerthError) -> UInt {
        guard let name, !name.isEmpty else { return rec | slave }
        guard let flags = propagationTable[name] else {
            throw BerthError(.invalidArgument, "linux.rootfsPropagation: unknown propagation \"\(name)\"")
        }
        return flags
    }
}
