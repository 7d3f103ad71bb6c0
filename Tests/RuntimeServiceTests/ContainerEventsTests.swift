import CRI
import RuntimeService
import Testing

@Suite struct ContainerEventsTests {
    private func event(_ id: String) -> Runtime_V1_ContainerEventResponse {
        var event = Runtime_V1_ContainerEventResponse()
        event.containerID = id
        return event
    }

    @Test func aSubscriberThatFallsBehindIsDroppedWithoutHoldingOthersUp() async {
        let events = ContainerEvents(backlog: 4)
        let slow = events.subscribe()
        let fast = events.subscribe()
        var fastSeen: [String] = []
        var iterator = fast.makeAsyncIterator()
        for number in 0..<10 {
            events.publishForTesting(event("c\(number)"))
            if let next = await iterator.next() { fastSeen.append(next.containerID) }
        }
        #expect(fastSeen == (0..<10).map { "c\($0)" })
        #expect(events.subscriberCount == 1)
        var slowSeen: [String] = []
        for await item in slow { slowSeen.append(item.containerID) }
        // The backlog it had, then its stream ended.
        #expect(slowSeen == ["c0", "c1", "c2", "c3"])
    }

    @Test func aSubscriberThatGoesAwayIsForgotten() async {
        let events = ContainerEvents()
        do {
            let stream = events.subscribe()
            let task = Task { for await _ in stream {} }
            #expect(events.subscriberCount == 1)
            task.cancel()
            await task.value
        }
        #expect(events.subscriberCount == 0)
    }
}
