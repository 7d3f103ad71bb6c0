import BerthBase
import CRI
import Synchronization

/// "Events": `GetContainerEvents` streams CREATED, STARTED, STOPPED and DELETED for every
/// container, with the pod's status, to every subscriber.
enum EventChecks {
    static let all: [Check] = [lifecycle]

    static let lifecycle = Check("events/every container's lifecycle is streamed to every subscriber", uses: ["events"]) { harness in
        let seen = [Seen(), Seen()]
        let readers = seen.map { sink in
            Task {
                for try await event in harness.client.containerEvents() { sink.events.withLock { $0.append(event) } }
            }
        }
        defer { for reader in readers { reader.cancel() } }
        try await Task.sleep(for: .milliseconds(300))
        var ids: [String] = []
        var podID = ""
        try await harness.withPod("events") { pod in
            podID = pod.id
            for name in ["first", "second"] {
                let id = try await pod.run(name, command: ["sh", "-c", "exit 0"])
                _ = try await harness.waitFor(id, .containerExited, within: .seconds(20))
                ids.append(id)
            }
        }
        let wanted: [Runtime_V1_ContainerEventType] = [
            .containerCreatedEvent, .containerStartedEvent, .containerStoppedEvent, .containerDeletedEvent,
        ]
        for (number, sink) in seen.enumerated() {
            let deadline = ContinuousClock.now + .seconds(10)
            func complete() -> Bool {
                let events = sink.events.withLock { $0 }
                return ids.allSatisfy { id in events.filter { $0.containerID == id }.count >= wanted.count }
            }
            while !complete() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let events = sink.events.withLock { $0 }
            for id in ids {
                let types = events.filter { $0.containerID == id }.map(\.containerEventType)
                try expectEqual(types, wanted, "subscriber \(number + 1): events of container \(id.prefix(12))")
            }
            for event in events where ids.contains(event.containerID) {
                try expectEqual(event.podSandboxStatus.id, podID, "pod of a \(event.containerEventType) event")
                try expect(event.createdAt > 0, "a \(event.containerEventType) event has no timestamp")
            }
        }
    }

    private final class Seen: Sendable {
        let events = Mutex<[Runtime_V1_ContainerEventResponse]>([])
    }
}
