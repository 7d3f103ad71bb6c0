import BerthBase
import Foundation
import ImageService
import Synchronization

/// Turns a long operation that reports `PullProgress` into an NDJSON stream: progress lines
/// (at most one per layer every 100 ms, plus every change of status), then a last line with
/// the result; a failure ends the stream with the server's error trailer. The operation is
/// cancelled when the reader goes away.
enum ProgressStream {
    static func run(_ operation: @escaping @Sendable (@escaping ProgressSink) async throws -> [String: String]) -> AsyncThrowingStream<[UInt8], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let throttle = Mutex<[String: (PullProgress.Status, ContinuousClock.Instant)]>([:])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let sink: ProgressSink = { progress in
            let now = ContinuousClock.now
            let emit = throttle.withLock { last -> Bool in
                if let (status, at) = last[progress.layer], status == progress.status, now - at < .milliseconds(100) { return false }
                last[progress.layer] = (progress.status, now)
                return true
            }
            if emit, let line = try? encoder.encode(progress) { continuation.yield(Array(line) + [0x0a]) }
        }
        let task = Task {
            do {
                let result = try await operation(sink)
                continuation.yield(Array(try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])) + [0x0a])
                continuation.finish()
            } catch {
                continuation.finish(throwing: (error as? BerthError) ?? BerthError.wrapping(error, context: "pull"))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
