/// One problem found in the configuration, its message already naming where.
struct ConfigIssue: Error {
    var message: String

    init(_ message: String) { self.message = message }

    /// The same problem, said of `subject` (a dotted key or a flag).
    func about(_ subject: String) -> ConfigIssue { ConfigIssue("\(subject): \(message)") }
}
