import BerthBase

/// curl's low-speed limit: fails once fewer than `bytesPerSecond × seconds` bytes moved (in
/// either direction) during the last `seconds` seconds.
struct LowSpeedGuard {
    private let bytesPerSecond: Int
    private let seconds: Int
    private var total: Int64 = 0
    /// (time, total) about every quarter second: the window start is looked up among them.
    private var samples: [(time: UInt64, total: Int64)]
    private static let sampleInterval: UInt64 = 250_000_000

    init(bytesPerSecond: Int, seconds: Int) {
        self.bytesPerSecond = bytesPerSecond
        self.seconds = seconds
        samples = [(monotonicNanoseconds(), 0)]
    }

    mutating func add(_ count: Int) { total += Int64(count) }

    /// The reason to give up, or nil while the transfer is fast enough.
    mutating func check() -> String? {
        guard bytesPerSecond > 0, seconds > 0 else { return nil }
        let now = monotonicNanoseconds()
        if let last = samples.last, now - last.time >= Self.sampleInterval { samples.append((now, total)) }
        let window = UInt64(seconds) * 1_000_000_000
        guard now >= window, let start = samples.lastIndex(where: { $0.time <= now - window }) else { return nil }
        if total - samples[start].total < Int64(bytesPerSecond) * Int64(seconds) {
            return "timed out after \(seconds) s below \(bytesPerSecond) byte/s"
        }
        if start > 0 { samples.removeFirst(start) }
        return nil
    }
}
