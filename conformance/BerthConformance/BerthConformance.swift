import ArgumentParser
import BerthClient
import Foundation

/// `berth-conformance`: drives a running berthd over its socket and reports, per behaviour,
/// pass, fail or skip with a reason.
@main
struct BerthConformance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth-conformance",
        abstract: "Check a running Berth daemon against the CRI behaviours it must show."
    )

    /// Every check, in the order they run.
    static let allChecks: [Check] =
        RuntimeInfoChecks.all + ImageChecks.all + BadInputChecks.all + PodChecks.all + ContainerChecks.all
        + ResourceChecks.all + LogChecks.all + IdempotenceChecks.all + MountChecks.all + SecurityChecks.all + EventChecks.all
        + NetworkChecks.all + StreamingChecks.all

    @Option(help: "Path of the daemon's socket.")
    var socket: String = BerthClient.defaultSocketPath

    @Option(help: "The test registry, HOST:PORT, holding the test images.")
    var registry: String?

    @Option(help: "The runtime handler to run pods with: native or vm.")
    var runtimeHandler: String = "native"

    @Option(help: "Run only checks whose name matches this regular expression.")
    var focus: String?

    @Option(help: "Skip checks whose name matches this regular expression.")
    var skip: String?

    @Option(help: "Write a JUnit XML report to this file.")
    var junit: String?

    @Option(help: "How many checks may run at once (checks that share an image never overlap).")
    var parallel = 1

    @Option(help: "Seconds one check may take before it fails.")
    var checkTimeout = 300

    @Flag(help: "List the selected checks without running them.")
    var list = false

    func validate() throws {
        guard ["native", "vm"].contains(runtimeHandler) else {
            throw ValidationError("--runtime-handler must be native or vm, not \(runtimeHandler)")
        }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard checkTimeout >= 1 else { throw ValidationError("--check-timeout must be at least 1") }
        do {
            _ = try Selection(focus: focus, skip: skip)
        } catch {
            throw ValidationError("--focus/--skip: not a regular expression: \(error)")
        }
        if !list && registry == nil {
            throw ValidationError("--registry HOST:PORT is required")
        }
    }

    func run() async throws {
        let checks = try Selection(focus: focus, skip: skip).filter(Self.allChecks)
        if list {
            checks.forEach { print($0.name) }
            return
        }
        let client = BerthClient(socketPath: socket)
        let harness = Harness(client: client, registry: registry ?? "", runtimeHandler: runtimeHandler)
        let runner = Runner(parallelism: parallel, checkTimeout: .seconds(checkTimeout))
        let results = await runner.run(checks, harness: harness) { result in
            // Unbuffered, so a long run shows each check as it ends.
            FileHandle.standardOutput.write(Data((result.line + "\n").utf8))
        }
        await client.close()
        FileHandle.standardOutput.write(Data((summaryLine(results) + "\n").utf8))
        if let junit {
            try Data(JUnitReport.xml(results).utf8).write(to: URL(fileURLWithPath: junit))
        }
        if results.contains(where: { if case .fail = $0.outcome { true } else { false } }) {
            throw ExitCode.failure
        }
    }
}
