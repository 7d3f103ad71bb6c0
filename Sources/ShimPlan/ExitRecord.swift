import BerthBase

/// The exit file a container monitor writes once the container's init has exited:
/// `code <n>\nsignal <n>\nstarted <unix ns>\nfinished <unix ns>\noom <0|1>\n`.
public struct ExitRecord: Sendable, Equatable {
    /// The exit status, or 128 + the signal when killed by one.
    public var code: Int32
    /// The signal that killed the process; 0 when it exited.
    public var signal: Int32
    public var startedNanos: Int64
    public var finishedNanos: Int64
    /// Whether the cgroup's oom_kill count rose while the container ran.
    public var oomKilled: Bool

    public init(code: Int32, signal: Int32, startedNanos: Int64, finishedNanos: Int64, oomKilled: Bool) {
        self.code = code
        self.signal = signal
        self.startedNanos = startedNanos
        self.finishedNanos = finishedNanos
        self.oomKilled = oomKilled
    }

    public init(parsing text: String) throws(BerthError) {
        let fields = try keyValues(text, what: "exit record")
        func number(_ key: String) throws(BerthError) -> Int64 {
            guard let value = fields[key], let number = Int64(value) else {
                throw BerthError(.dataLoss, "exit record: missing or bad \"\(key)\" in \(text.debugDescription)")
            }
            return number
        }
        let code = try number("code"), signal = try number("signal"), oom = try number("oom")
        guard let code32 = Int32(exactly: code), let signal32 = Int32(exactly: signal), oom == 0 || oom == 1 else {
            throw BerthError(.dataLoss, "exit record: value out of range in \(text.debugDescription)")
        }
        self.init(code: code32, signal: signal32, startedNanos: try number("started"),
                  finishedNanos: try number("finished"), oomKilled: oom == 1)
    }

    /// Reads the exit file at `path`, or nil when the container has not exited.
    public static func read(_ path: String) throws(BerthError) -> ExitRecord? {
        guard let bytes = try FileSystem.read(path) else { return nil }
        return try ExitRecord(parsing: String(decoding: bytes, as: UTF8.self))
    }
}

/// The state file the shim writes before reporting success: `infra <pid>\n` for an infra
/// process, `init <pid>\nmonitor <pid>\nstarted <unix ns>\n` for a container.
public struct StateRecord: Sendable, Equatable {
    public var infraPid: Int32?
    public var initPid: Int32?
    public var monitorPid: Int32?
    public var startedNanos: Int64?

    public init(infraPid: Int32? = nil, initPid: Int32? = nil, monitorPid: Int32? = nil, startedNanos: Int64? = nil) {
        self.infraPid = infraPid
        self.initPid = initPid
        self.monitorPid = monitorPid
        self.startedNanos = startedNanos
    }

    public init(parsing text: String) throws(BerthError) {
        let fields = try keyValues(text, what: "state record")
        func value<T: FixedWidthInteger>(_ key: String, _: T.Type) throws(BerthError) -> T? {
            guard let text = fields[key] else { return nil }
            guard let number = T(text) else { throw BerthError(.dataLoss, "state record: bad \"\(key)\": \(text)") }
            return number
        }
        self.init(infraPid: try value("infra", Int32.self), initPid: try value("init", Int32.self),
                  monitorPid: try value("monitor", Int32.self), startedNanos: try value("started", Int64.self))
        if infraPid == nil && initPid == nil {
            throw BerthError(.dataLoss, "state record: no infra or init pid in \(text.debugDescription)")
        }
    }

    /// Reads the state file at `path`, or nil when there is none.
    public static func read(_ path: String) throws(BerthError) -> StateRecord? {
        guard let bytes = try FileSystem.read(path) else { return nil }
        return try StateRecord(parsing: String(decoding: bytes, as: UTF8.self))
    }
}

/// `key value` lines; a record written atomically always ends with a newline.
private func keyValues(_ text: String, what: String) throws(BerthError) -> [String: String] {
    guard text.hasSuffix("\n") else { throw BerthError(.dataLoss, "\(what): truncated: \(text.debugDescription)") }
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw BerthError(.dataLoss, "\(what): bad line \(String(line).debugDescription)") }
        fields[String(parts[0])] = String(parts[1])
    }
    return fields
}
