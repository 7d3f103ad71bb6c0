import Foundation

/// The outcome of one check and how long it took.
struct CheckResult: Sendable {
    let check: Check
    let outcome: Outcome
    let duration: Duration

    /// `PASS images/pull by tag (0.41s)`, with the reason after a failure or skip.
    var line: String {
        let time = "(\(Self.seconds(duration))s)"
        switch outcome {
        case .pass: return "PASS \(check.name) \(time)"
        case .fail(let reason): return "FAIL \(check.name) \(time): \(reason)"
        case .skip(let reason): return "SKIP \(check.name): \(reason)"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.2f", Double(seconds) + Double(attoseconds) / 1e18)
    }
}

/// Which checks to run: those matching `--focus` (all when absent) and not `--skip`.
struct Selection {
    var focus: Regex<AnyRegexOutput>?
    var skip: Regex<AnyRegexOutput>?

    init(focus: String?, skip: String?) throws {
        self.focus = try focus.map { try Regex($0) }
        self.skip = try skip.map { try Regex($0) }
    }

    func filter(_ checks: [Check]) -> [Check] {
        checks.filter { check in
            (focus.map { check.name.contains($0) } ?? true) && !(skip.map { check.name.contains($0) } ?? false)
        }
    }
}

/// Runs checks, up to `parallelism` at a time, never two that use the same thing at once.
struct Runner: Sendable {
    let parallelism: Int
    /// How long one check may take before it is failed and cancelled.
    let checkTimeout: Duration

    /// Runs every check and reports each result as it ends; returns them in check order.
    func run(
        _ checks: [Check], harness: Harness, report: @escaping @Sendable (CheckResult) -> Void
    ) async -> [CheckResult] {
        let locks = ResourceLocks()
        return await withTaskGroup(of: (Int, CheckResult).self) { group in
            var results = [CheckResult?](repeating: nil, count: checks.count)
            var next = 0
            func start() {
                let index = next
                let check = checks[index]
                next += 1
                group.addTask {
                    await locks.acquire(check.uses)
                    let result = await runOne(check, harness: harness)
                    await locks.release(check.uses)
                    report(result)
                    return (index, result)
                }
            }
            while next < min(max(parallelism, 1), checks.count) {
                start()
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < checks.count {
                    start()
                }
            }
            return results.compactMap { $0 }
        }
    }

    func runOne(_ check: Check, harness: Harness) async -> CheckResult {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await Self.outcome(of: check, harness: harness) }
            group.addTask { [checkTimeout] in
                // A hung daemon must not hang the whole run.
                try? await Task.sleep(for: checkTimeout)
                return Task.isCancelled ? nil : .fail("no result within \(checkTimeout)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .fail("no result")
        }
        return CheckResult(check: check, outcome: outcome, duration: clock.now - start)
    }

    private static func outcome(of check: Check, harness: Harness) async -> Outcome {
        do {
            try await check.body(harness)
            return .pass
        } catch let skipped as CheckSkipped {
            return .skip(skipped.reason)
        } catch let failure as CheckFailure {
            return .fail(failure.reason)
        } catch {
            return .fail("\(error)")
        }
    }
}

/// `N passed, N failed, N skipped`
func summaryLine(_ results: [CheckResult]) -> String {
    var passed = 0, failed = 0, skipped = 0
    for result in results {
        switch result.outcome {
        case .pass: passed += 1
        case .fail: failed += 1
        case .skip: skipped += 1
        }
    }
    return "\(passed) passed, \(failed) failed, \(skipped) skipped"
}

/// Exclusive holds on named things, granted in arrival order once all of a request is free.
actor ResourceLocks {
    private var held: Set<String> = []
    private var waiting: [(resources: Set<String>, continuation: CheckedContinuation<Void, Never>)] = []

    func acquire(_ resources: Set<String>) async {
        if held.isDisjoint(with: resources) {
            held.formUnion(resources)
            return
        }
        await withCheckedContinuation { waiting.append((resources, $0)) }
    }

    func release(_ resources: Set<String>) {
        held.subtract(resources)
        var stillWaiting: [(resources: Set<String>, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in waiting {
            if held.isDisjoint(with: waiter.resources) {
                held.formUnion(waiter.resources)
                waiter.continuation.resume()
            } else {
                stillWaiting.append(waiter)
            }
        }
        waiting = stillWaiting
    }
}
