import BerthBase
import CRI
import NativeRuntime
import RuntimeState

extension RuntimeService {
    /// CRI `StopPodSandbox`: kills every container of the pod and its infra process, and
    /// detaches the pod from its network (CNI DEL, which releases its address). Stopping a
    /// stopped or missing sandbox succeeds, as the CRI asks.
    public func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest) async throws(BerthError) -> Runtime_V1_StopPodSandboxResponse {
        guard let record = try await existingSandbox(request.podSandboxID) else { return .init() }
        try await stopSandbox(record)
        return .init()
    }

    /// Looks a sandbox up for an idempotent call: missing is nil, not an error.
    func existingSandbox(_ query: String) async throws(BerthError) -> SandboxRecord? {
        do {
            return try await store.findSandbox(query)
        } catch where error.code == .notFound {
            return nil
        }
    }

    func stopSandbox(_ record: SandboxRecord) async throws(BerthError) {
        for container in await store.containers(inSandbox: record.id) where container.phase == .running || container.phase == .starting {
            try await stopContainer(container.id, timeout: 0)
        }
        try await withKey(record.id) { () async throws(BerthError) in
            if let infra = record.infra {
                await ProcessControl.kill(infra, grace: .seconds(5))
            }
            try await store.updateSandbox(record.id) { $0.phase = .notReady }
            try await detachNetwork(record)
        }
        logger.info("pod sandbox stopped", metadata: ["sandbox": "\(record.id)"])
    }

    /// Runs `body` holding the lock of `key`, mapping errors to BerthError.
    func withKey<T: Sendable>(_ key: String, _ body: @Sendable () async throws(BerthError) -> T) async throws(BerthError) -> T {
        do {
            return try await locks.withLock(key) { try await body() }
        } catch {
            throw BerthError.wrapping(error, context: key.prefix(12).description)
        }
    }
}
