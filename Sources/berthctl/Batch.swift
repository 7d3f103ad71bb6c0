import ArgumentParser
import BerthBase
import Foundation

/// Runs `body` for each item, as crictl's multi-id verbs do: a failure is reported on stderr
/// and the rest still run; any failure makes the exit status 1.
func forEachReportingFailures(
    _ items: [String], _ body: (String) async throws(BerthError) -> Void
) async throws(ExitCode) {
    var failed = false
    for item in items {
        do throws(BerthError) {
            try await body(item)
        } catch {
            FileHandle.standardError.write(Data("berthctl: \(error)\n".utf8))
            failed = true
        }
    }
    if failed { throw ExitCode.failure }
}

/// Prints `text` and a newline to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
