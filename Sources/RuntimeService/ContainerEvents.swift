import CRI
import Synchronization

/// The feed behind `GetContainerEvents`: every container lifecycle event goes to every
/// subscriber. Each subscriber has a bounded backlog; one that falls behind by more than
/// that is dropped (its stream ends) rather than slowing the daemon down.
public final class ContainerEvents: Sendable {
    /// Events a subscriber may have waiting before it is dropped.
    public let backlog: Int
    private let subscribers = Mutex<[Int: AsyncStream<Runtime_V1_ContainerEventResponse>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    public init(backlog: Int = 1024) {
        self.backlog = backlog
    }

    /// A stream of the events from now on; it ends when the subscriber is dropped.
    public func subscribe() -> AsyncStream<Runtime_V1_ContainerEventResponse> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<Runtime_V1_ContainerEventResponse>.makeStream(
            bufferingPolicy: .bufferingOldest(backlog))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// Publishes an event as the runtime would; for tests of the feed itself.
    public func publishForTesting(_ event: Runtime_V1_ContainerEventResponse) { publish(event) }

    func publish(_ event: Runtime_V1_ContainerEventResponse) {
        let current = subscribers.withLock { $0 }
        for (id, continuation) in current {
            if case .dropped = continuation.yield(event) {
                // Too far behind: end its stream so the client knows to resynchronise.
                continuation.finish()
                _ = subscribers.withLock { $0.removeValue(forKey: id) }
            }
        }
    }
}

extension RuntimeService {
    /// Publishes a lifecycle event of a container with its pod's and the pod's containers'
    /// statuses, as the CRI event carries them.
    func emit(_ type: Runtime_V1_ContainerEventType, containerID: String, sandboxID: String) async {
        guard events.subscriberCount > 0 else { return }
        var event = Runtime_V1_ContainerEventResponse()
        event.containerID = containerID
        event.containerEventType = type
        event.createdAt = nowNanos()
        if let sandbox = await store.sandbox(sandboxID) {
            event.podSandboxStatus = sandboxStatus(sandbox)
        }
        for container in await store.containers(inSandbox: sandboxID) {
            event.containersStatuses.append(containerStatus(container, spec: try? loadSpec(bundle: container.bundle)))
        }
        events.publish(event)
    }
}
