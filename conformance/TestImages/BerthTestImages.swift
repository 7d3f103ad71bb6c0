import ArgumentParser
import BerthBase
import Foundation

/// Builds the conformance suite's test images offline and serves them to a local registry.
@main
struct BerthTestImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth-testimages",
        abstract: "Build Berth's offline test images as OCI layouts and push them to a local registry.",
        subcommands: [Build.self, Push.self, Verify.self, Archive.self, List.self]
    )
}

/// The `--only` option shared by the subcommands.
struct Selection: ParsableArguments {
    @Option(name: .long, help: "Comma-separated image names (default: all).")
    var only: String?

    func recipes() throws(BerthError) -> [Recipe] {
        try Catalog.named(only.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
    }
}

/// Runs a subcommand body, printing a failure as one clear line and exiting non-zero.
func reportingFailure(_ body: () throws(BerthError) -> Void) throws {
    do {
        try body()
    } catch {
        fflush(nil)  // progress already printed goes out before the failure line
        FileHandle.standardError.write(Data("berth-testimages: \(error.message)\n".utf8))
        throw ExitCode.failure
    }
}

/// Seconds since `start`, for progress lines.
func elapsed(since start: ContinuousClock.Instant) -> String {
    let duration = ContinuousClock.now - start
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return String(format: "%.1fs", seconds)
}
