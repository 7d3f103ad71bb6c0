import Foundation
import Synchronization

/// A flag a blocking operation polls to learn that the task waiting for it was cancelled.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    public func cancel() { flag.store(true, ordering: .relaxed) }
}

/// Runs blocking work (file I/O, decompression, HTTP transfers) on a thread of its own, so the
/// cooperative pool is never starved, and sets the flag it is given when the calling
/// task is cancelled. The work should poll the flag and stop early.
public func runBlocking<T: Sendable>(
    name: String = "berth-blocking",
    _ body: @escaping @Sendable (CancellationFlag) throws -> T
) async throws -> T {
    let flag = CancellationFlag()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try body(flag) })
            }
            thread.name = name
            thread.stackSize = 1 << 20
            thread.start()
        }
    } onCancel: {
        flag.cancel()
    }
}
