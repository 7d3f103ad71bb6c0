import BerthBase

/// Runs one piece of work per key at a time: callers asking for a key already in flight wait
/// for that work instead of starting it again (the same blob is never fetched twice at once).
/// The work is cancelled only when every caller waiting for it has been cancelled.
actor SingleFlight<Key: Hashable & Sendable, Value: Sendable> {
    private struct Flight {
        let task: Task<Value, any Error>
        var waiters: Int
    }

    private var flights: [Key: Flight] = [:]

    func run(_ key: Key, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task: Task<Value, any Error>
        if var flight = flights[key] {
            flight.waiters += 1
            flights[key] = flight
            task = flight.task
        } else {
            task = Task { try await work() }
            flights[key] = Flight(task: task, waiters: 1)
        }
        defer { leave(key, task: task) }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            Task { await self.cancelled(key, task: task) }
        }
    }

    private func leave(_ key: Key, task: Task<Value, any Error>) {
        guard var flight = flights[key], flight.task == task else { return }
        flight.waiters -= 1
        flights[key] = flight.waiters > 0 ? flight : nil
    }

    private func cancelled(_ key: Key, task: Task<Value, any Error>) {
        guard let flight = flights[key], flight.task == task else {
            task.cancel()
            return
        }
        // Only the last waiter's cancellation stops the shared work.
        if flight.waiters <= 1 { task.cancel() }
    }
}
