import Testing
@testable import RuntimeService

@Suite struct CpuRatesTests {
    @Test func theRateIsTheUsageBetweenTwoSamples() async {
        let rates = CpuRates()
        #expect(await rates.rate(key: "c", total: 1_000_000_000, at: 10_000_000_000) == nil)
        // 0.5 s of cpu in 2 s: a quarter of a core.
        #expect(await rates.rate(key: "c", total: 1_500_000_000, at: 12_000_000_000) == 250_000_000)
        // A counter that went back (a new cgroup under the same key) gives no rate.
        #expect(await rates.rate(key: "c", total: 100, at: 13_000_000_000) == nil)
    }

    @Test func samplesNoLongerAskedAboutAreDropped() async {
        let rates = CpuRates()
        _ = await rates.rate(key: "gone", total: 1, at: 1)
        _ = await rates.rate(key: "kept", total: 1, at: 1)
        _ = await rates.rate(key: "kept", total: 2, at: CpuRates.keep)
        #expect(await rates.samples == 2)
        // Pruned at most every keep/10: now "gone" is older than keep, "kept" is not.
        let later = CpuRates.keep + CpuRates.keep / 10 + 2
        _ = await rates.rate(key: "kept", total: 3, at: later)
        #expect(await rates.samples == 1)
        #expect(await rates.rate(key: "gone", total: 2, at: later + 1) == nil)
    }
}
