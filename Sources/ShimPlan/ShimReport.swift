import BerthBase

/// The one line `berth-shim` writes on its report pipe: `ok <pid> [<pid>]` or
/// `error <stage>: <ERRNO> (<text>)` (or `error <text>` when no system call failed).
public enum ShimReport: Sendable, Equatable {
    /// The pids the shim started: infra and exec report one; run reports the container's
    /// init and its monitor.
    case ok(pids: [Int32])
    case error(ShimFailure)

    /// Parses a report line (a trailing newline is allowed).
    public init(parsing text: String) throws(BerthError) {
        var line = Substring(text)
        if line.hasSuffix("\n") { line = line.dropLast() }
        if line.isEmpty { throw BerthError(.internal, "berth-shim reported nothing") }
        if line.contains("\n") { throw BerthError(.internal, "berth-shim report has more than one line: \(text)") }
        if line.hasPrefix("ok ") {
            let pids = line.dropFirst(3).split(separator: " ").compactMap { Int32($0) }
            guard !pids.isEmpty, pids.count == line.dropFirst(3).split(separator: " ").count else {
                throw BerthError(.internal, "berth-shim report has bad pids: \(line)")
            }
            self = .ok(pids: pids)
        } else if line.hasPrefix("error ") {
            self = .error(ShimFailure(text: String(line.dropFirst(6))))
        } else {
            throw BerthError(.internal, "berth-shim report not understood: \(line)")
        }
    }

    /// The reported pids; empty for an error.
    public var pids: [Int32] {
        if case .ok(let pids) = self { return pids }
        return []
    }
}

/// What failed in the shim: the stage (`mount /proc`, `exec sh`, `plan`), the errno name
/// and text when a system call failed.
public struct ShimFailure: Sendable, Equatable {
    /// The whole message, `mount /proc: EPERM (Operation not permitted)`.
    public var text: String
    /// What the shim was doing and on what: `mount /proc`, `setresuid 1002`, `exec sh`.
    public var stage: String
    /// `EPERM`, `ENOENT`...; nil for failures without a system call (plan errors).
    public var errnoName: String?
    /// The errno's text, `Operation not permitted`.
    public var errnoText: String?

    public init(text: String) {
        self.text = text
        stage = text
        // The errno part is the last ": E... (...)" suffix; stages may contain ": " too.
        var search = text.endIndex
        while let colon = text.range(of: ": ", options: .backwards, range: text.startIndex ..< search) {
            let rest = text[colon.upperBound...]
            if let open = rest.range(of: " ("), rest.hasSuffix(")") {
                let name = rest[..<open.lowerBound]
                if name.first == "E", name.allSatisfy({ $0.isUppercase || $0.isNumber }) {
                    stage = String(text[..<colon.lowerBound])
                    errnoName = String(name)
                    errnoText = String(rest[open.upperBound...].dropLast())
                    break
                }
            }
            search = colon.lowerBound
        }
    }

    /// Whether the process could not be executed because its program is missing or not
    /// executable: a problem with the image or the request, not with Berth.
    public var isMissingExecutable: Bool {
        stage.hasPrefix("exec ") && ["ENOENT", "EACCES", "ENOTDIR", "ENOEXEC", "ELOOP"].contains(errnoName ?? "")
    }

    /// The failure as a Berth error whose message is the shim's text.
    public var error: BerthError {
        BerthError(isMissingExecutable ? .failedPrecondition : .internal, text)
    }
}
