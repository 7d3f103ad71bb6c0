import BerthBase
import BerthClient
import CRI
import Foundation
import Synchronization
import Testing

/// `GetContainerEvents` through a real berthd.
@Suite(.serialized, .enabled(if: TestEnvironment.ready, TestEnvironment.reason))
struct EventTests {
    @Test func everyLifecycleStepReachesEverySubscriber() async throws {
        let daemon = try await Berthd.started()
        let collected = [EventSink(), EventSink()]
        let readers = collected.map { sink in
            Task {
                for try await event in daemon.client.containerEvents() {
                    sink.events.withLock { $0.append(event) }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let pod = Pods.sandboxConfig("events")
        let (podID, containerID) = try await Pods.run(daemon, pod: pod, container: Pods.containerConfig("main", command: ["sh", "-c", "exit 2"]))
        #expect(await Pods.eventually { (try? await daemon.client.containerStatus(containerID).status.state) == .containerExited })
        try await daemon.client.removeContainer(containerID)

        for sink in collected {
            #expect(await Pods.eventually { sink.events.withLock { $0.count } >= 4 })
            let events = sink.events.withLock { $0 }.filter { $0.containerID == containerID }
            #expect(events.map(\.containerEventType) == [
                .containerCreatedEvent, .containerStartedEvent, .containerStoppedEvent, .containerDeletedEvent,
            ])
            #expect(events.allSatisfy { $0.podSandboxStatus.id == podID && $0.createdAt > 0 })
            let stopped = events.first { $0.containerEventType == .containerStoppedEvent }
            #expect(stopped?.containersStatuses.first { $0.id == containerID }?.exitCode == 2)
        }
        for reader in readers { reader.cancel() }
        try await daemon.client.removePodSandbox(podID)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }
}

private final class EventSink: Sendable {
    let events = Mutex<[Runtime_V1_ContainerEventResponse]>([])
}
