import BerthBase
import BerthClient
import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Synchronization
import Testing

@testable import BerthConformance

@Suite struct ConformanceRunnerTests {
    // The runner's own checks never reach the daemon, so a client on a socket nobody serves will do.
    let harness = Harness(
        client: BerthClient(socketPath: "/nonexistent/berth.sock"), registry: "127.0.0.1:1", runtimeHandler: "native")

    let sample: [Check] = [
        Check("images/passes") { _ in },
        Check("images/fails") { _ in try expectEqual(1, 2, "one") },
        Check("runtime/skips") { _ in throw CheckSkipped(reason: "not here") },
        Check("runtime/throws") { _ in throw BerthError(.notFound, "no such thing") },
        .pending("images/later", reason: "needs the container runtime (issue 3)"),
    ]

    @Test func outcomesAndLines() async {
        let results = await Runner(parallelism: 1, checkTimeout: .seconds(10)).run(sample, harness: harness) { _ in }
        #expect(results.map(\.outcome) == [
            .pass, .fail("one: got 1, want 2"), .skip("not here"), .fail("not_found: no such thing"),
            .skip("needs the container runtime (issue 3)"),
        ])
        #expect(results[0].line.hasPrefix("PASS images/passes ("))
        #expect(results[1].line.hasPrefix("FAIL images/fails ("))
        #expect(results[1].line.hasSuffix("s): one: got 1, want 2"))
        #expect(results[2].line == "SKIP runtime/skips: not here")
        #expect(summaryLine(results) == "1 passed, 2 failed, 2 skipped")
    }

    @Test func focusAndSkipSelectByName() throws {
        let names = { (focus: String?, skip: String?) in
            try Selection(focus: focus, skip: skip).filter(self.sample).map(\.name)
        }
        #expect(try names("^images/", nil) == ["images/passes", "images/fails", "images/later"])
        #expect(try names("images", "fail|later") == ["images/passes"])
        #expect(try names(nil, "runtime") == ["images/passes", "images/fails", "images/later"])
        #expect(throws: (any Error).self) { try Selection(focus: "(", skip: nil) }
    }

    @Test func aHungCheckTimesOut() async {
        let hung = Check("runtime/hangs") { _ in try await Task.sleep(for: .seconds(60)) }
        let start = ContinuousClock.now
        let result = await Runner(parallelism: 1, checkTimeout: .milliseconds(200)).runOne(hung, harness: harness)
        #expect(result.outcome == .fail("no result within 0.2 seconds"))
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func parallelChecksNeverShareAResource() async {
        let state = Mutex((running: [String: Int](), overlaps: 0, peak: 0, now: 0))
        func occupying(_ resource: String) -> @Sendable (Harness) async throws -> Void {
            { _ in
                state.withLock {
                    $0.running[resource, default: 0] += 1
                    if $0.running[resource, default: 0] > 1 { $0.overlaps += 1 }
                    $0.now += 1
                    $0.peak = max($0.peak, $0.now)
                }
                try await Task.sleep(for: .milliseconds(50))
                state.withLock {
                    $0.running[resource, default: 0] -= 1
                    $0.now -= 1
                }
            }
        }
        let checks = (0..<12).map { Check("images/\($0)", uses: [$0 % 2 == 0 ? "busybox" : "multiarch"], occupying($0 % 2 == 0 ? "busybox" : "multiarch")) }
        let results = await Runner(parallelism: 4, checkTimeout: .seconds(10)).run(checks, harness: harness) { _ in }
        #expect(results.count == 12)
        #expect(results.allSatisfy { $0.outcome == .pass })
        #expect(results.map(\.check.name) == checks.map(\.name))
        let final = state.withLock { $0 }
        #expect(final.overlaps == 0)
        #expect(final.peak == 2)
    }

    @Test func junitReportGroupsBySectionAndEscapes() async {
        let results = await Runner(parallelism: 1, checkTimeout: .seconds(10)).run(
            [
                Check("images/a <b>") { _ in },
                Check("images/fails") { _ in throw CheckFailure(reason: "got \"x\" & <y>") },
                Check("input/skips") { _ in throw CheckSkipped(reason: "later") },
            ], harness: harness
        ) { _ in }
        let xml = JUnitReport.xml(results)
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"berth-conformance\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""))
        #expect(xml.contains("<testsuite name=\"images\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""))
        #expect(xml.contains("<testsuite name=\"input\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""))
        #expect(xml.contains("<testcase name=\"a &lt;b&gt;\" classname=\"images\" time=\""))
        #expect(xml.contains("<failure message=\"got &quot;x&quot; &amp; &lt;y&gt;\">"))
        #expect(xml.contains("<skipped message=\"later\"/>"))
        #expect(xml.hasSuffix("</testsuites>\n"))
        // Well-formed: Foundation's parser accepts it.
        #expect(throws: Never.self) { try XMLDocument(xmlString: xml) }
    }

    @Test func everyCheckHasAUniqueSectionedName() {
        let names = BerthConformance.allChecks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { ["runtime", "images", "input", "pods", "containers", "resources", "logs", "idempotence", "mounts", "security", "events", "networking", "streaming"].contains($0.split(separator: "/").first.map(String.init) ?? "") })
    }
}
