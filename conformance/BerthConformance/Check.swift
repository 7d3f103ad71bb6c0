import BerthBase

/// What one check concluded.
enum Outcome: Equatable, Sendable {
    case pass
    case fail(String)
    case skip(String)
}

/// One behaviour to verify, named `section/what it checks`; its body throws `CheckFailure`
/// or `CheckSkipped` to conclude anything but a pass.
struct Check: Sendable {
    let name: String
    /// What the check needs to itself while it runs (an image repository, say), so that
    /// `--parallel` never runs two checks that would disturb each other.
    let uses: Set<String>
    let body: @Sendable (Harness) async throws -> Void

    init(_ name: String, uses: Set<String> = [], _ body: @escaping @Sendable (Harness) async throws -> Void) {
        self.name = name
        self.uses = uses
        self.body = body
    }

    /// A check that cannot run yet, reported as skipped with the reason.
    static func pending(_ name: String, reason: String) -> Check {
        Check(name) { _ in throw CheckSkipped(reason: reason) }
    }

    /// The section: what comes before the first `/`.
    var suite: String {
        name.firstIndex(of: "/").map { String(name[..<$0]) } ?? name
    }

    /// The name within its section.
    var shortName: String {
        name.firstIndex(of: "/").map { String(name[name.index(after: $0)...]) } ?? name
    }
}

/// Thrown by a check body: the behaviour is wrong, and why.
struct CheckFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// Thrown by a check body: the behaviour cannot be checked here, and why.
struct CheckSkipped: Error {
    let reason: String
}

/// Fails the check with `message` unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws(CheckFailure) {
    if !condition {
        throw CheckFailure(reason: message())
    }
}

/// Fails the check unless `actual == expected`, showing both.
func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: @autoclosure () -> String) throws(CheckFailure) {
    if actual != expected {
        throw CheckFailure(reason: "\(what()): got \(actual), want \(expected)")
    }
}

/// Runs `body`, which must fail with a `BerthError` of one of `codes`, and returns that error.
@discardableResult
func expectError<T>(
    _ codes: Set<ErrorCode>,
    _ what: String,
    _ body: () async throws -> T
) async throws -> BerthError {
    let result: T
    do {
        result = try await body()
    } catch let error as BerthError {
        let wanted = codes.map(\.rawValue).sorted().joined(separator: " or ")
        try expect(codes.contains(error.code), "\(what): got \(error), want \(wanted)")
        try expect(!error.message.isEmpty, "\(what): error \(error.code.rawValue) has an empty message")
        return error
    }
    throw CheckFailure(reason: "\(what): succeeded (\(result)), want an error")
}
