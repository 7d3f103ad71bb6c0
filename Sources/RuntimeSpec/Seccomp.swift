/// A seccomp profile in the runtime specification's form (also what Docker and the CRI's
/// localhost profiles use, apart from Docker's extra `archMap`/`includes` keys).
public struct Seccomp: Codable, Sendable, Equatable {
    /// `SCMP_ACT_ERRNO`, `SCMP_ACT_ALLOW`, …
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    /// `SCMP_ARCH_X86_64`, …
    public var architectures: [String]?
    public var flags: [String]?
    public var syscalls: [Syscall]?

    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                flags: [String]? = nil, syscalls: [Syscall]? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.syscalls = syscalls
    }

    public struct Syscall: Codable, Sendable, Equatable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [Arg]?

        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [Arg]? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
        }
    }

    public struct Arg: Codable, Sendable, Equatable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64?
        /// `SCMP_CMP_EQ`, `SCMP_CMP_MASKED_EQ`, …
        public var op: String

        public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }
}
