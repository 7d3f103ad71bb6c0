import BerthBase
@testable import HTTPClient
import Testing

@Suite struct ResolveTests {
    private func deadline(seconds: Int) -> UInt64 { monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000 }

    @Test func localhostResolvesOnTheHelperThread() throws {
        let addresses = try Dialer.resolve(host: "localhost", port: 80, deadline: deadline(seconds: 10), seconds: 10, flag: CancellationFlag())
        #expect(addresses.contains { $0.text == "127.0.0.1:80" || $0.text == "[::1]:80" }, "\(addresses.map(\.text))")
    }

    @Test func numericAddressNeedsNoLookup() throws {
        let addresses = try Dialer.resolve(host: "127.0.0.1", port: 5000, deadline: deadline(seconds: 10), seconds: 10, flag: CancellationFlag())
        #expect(addresses.map(\.text) == ["127.0.0.1:5000"])
    }

    @Test func cancelledFlagStopsBeforeResolving() {
        let flag = CancellationFlag()
        flag.cancel()
        let started = monotonicNanoseconds()
        let error = #expect(throws: TransferError.self) {
            try Dialer.resolve(host: "localhost", port: 80, deadline: deadline(seconds: 10), seconds: 10, flag: flag)
        }
        guard case .cancelled = error else {
            Issue.record("expected .cancelled, got \(String(describing: error))")
            return
        }
        #expect(monotonicNanoseconds() - started < 250_000_000)
    }
}
