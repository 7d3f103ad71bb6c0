import BerthBase
import CRI
import Foundation
import Testing

@testable import berthctl

@Suite struct SelectionTests {
    let ids = ["abc123", "abd456", "ffff00"]

    @Test func uniquePrefixesResolve() throws {
        #expect(try IDPrefix.resolve("abc", among: ids, kind: "container") == "abc123")
        #expect(try IDPrefix.resolve("ffff00", among: ids, kind: "container") == "ffff00")
        // An exact id wins even when it also prefixes a longer one.
        #expect(try IDPrefix.resolve("ab", among: ["ab", "abc"], kind: "container") == "ab")
    }

    @Test func ambiguousAndMissingPrefixesSaySo() {
        let ambiguous = #expect(throws: BerthError.self) { try IDPrefix.resolve("ab", among: ids, kind: "container") }
        #expect(ambiguous?.code == .invalidArgument)
        #expect(ambiguous?.message.contains("ambiguous") == true)
        #expect(ambiguous?.message.contains("abc123") == true && ambiguous?.message.contains("abd456") == true)
        let missing = #expect(throws: BerthError.self) { try IDPrefix.resolve("zz", among: ids, kind: "pod sandbox") }
        #expect(missing?.code == .notFound)
        #expect(missing?.message == "no pod sandbox has an id starting with \"zz\"")
        #expect(throws: BerthError.self) { try IDPrefix.resolve("", among: ids, kind: "container") }
    }

    func pod(_ id: String, name: String, namespace: String = "default", state: Runtime_V1_PodSandboxState = .sandboxReady,
             created: Int64, labels: [String: String] = [:]) -> Runtime_V1_PodSandbox {
        var pod = Runtime_V1_PodSandbox()
        pod.id = id
        pod.metadata.name = name
        pod.metadata.namespace = namespace
        pod.state = state
        pod.createdAt = created
        pod.labels = labels
        return pod
    }

    @Test func podSelectionFiltersAndSortsNewestFirst() throws {
        let pods = [
            pod("p1", name: "web-1", created: 1, labels: ["app": "web"]),
            pod("p2", name: "web-2", namespace: "kube-system", state: .sandboxNotready, created: 3, labels: ["app": "web"]),
            pod("p3", name: "db", created: 2),
        ]
        #expect(PodSelection().apply(pods).map(\.id) == ["p2", "p3", "p1"])
        #expect(PodSelection(name: Pattern(argument: "^web")).apply(pods).map(\.id) == ["p2", "p1"])
        #expect(PodSelection(namespace: Pattern(argument: "kube")).apply(pods).map(\.id) == ["p2"])
        #expect(PodSelection(state: .sandboxReady).apply(pods).map(\.id) == ["p3", "p1"])
        #expect(PodSelection(labels: ["app": "web"]).apply(pods).map(\.id) == ["p2", "p1"])
        #expect(PodSelection(id: "p3").apply(pods).map(\.id) == ["p3"])
        #expect(PodSelection(last: 1).apply(pods).map(\.id) == ["p2"])
        let filter = PodSelection(state: .sandboxNotready, labels: ["a": "b"]).filter
        #expect(filter.state.state == .sandboxNotready && filter.labelSelector == ["a": "b"])
        #expect(!PodSelection().filter.hasState)
    }

    func container(_ id: String, name: String, pod: String, state: Runtime_V1_ContainerState, created: Int64,
                   image: String = "busybox", imageRef: String = "sha256:1234abcd") -> Runtime_V1_Container {
        var container = Runtime_V1_Container()
        container.id = id
        container.metadata.name = name
        container.podSandboxID = pod
        container.state = state
        container.createdAt = created
        container.image.image = image
        container.imageRef = imageRef
        return container
    }

    @Test func containerSelectionFiltersByNamePodStateAndImage() {
        let containers = [
            container("c1", name: "nginx", pod: "p1", state: .containerRunning, created: 1, image: "nginx:1", imageRef: "sha256:9999"),
            container("c2", name: "sidecar", pod: "p1", state: .containerExited, created: 2),
            container("c3", name: "busy", pod: "p2", state: .containerRunning, created: 3),
        ]
        #expect(ContainerSelection().apply(containers).map(\.id) == ["c3", "c2", "c1"])
        #expect(ContainerSelection(name: Pattern(argument: "i")).apply(containers).map(\.id) == ["c2", "c1"])
        #expect(ContainerSelection(podID: "p1").apply(containers).map(\.id) == ["c2", "c1"])
        #expect(ContainerSelection(state: .containerRunning).apply(containers).map(\.id) == ["c3", "c1"])
        #expect(ContainerSelection(image: "busybox").apply(containers).map(\.id) == ["c3", "c2"])
        #expect(ContainerSelection(image: "1234ab").apply(containers).map(\.id) == ["c3", "c2"])
        #expect(ContainerSelection(image: "docker.io/library/nginx:1", imageIDs: ["sha256:9999"]).apply(containers).map(\.id) == ["c1"])
        #expect(ContainerSelection(last: 1).apply(containers).map(\.id) == ["c3"])
    }

    @Test func statesByCrictlsNames() throws {
        #expect(try StateName.podState("Ready") == .sandboxReady)
        #expect(try StateName.podState("SANDBOX_NOTREADY") == .sandboxNotready)
        #expect(try StateName.containerState("exited") == .containerExited)
        #expect(try StateName.containerState("CONTAINER_RUNNING") == .containerRunning)
        #expect(throws: (any Error).self) { try StateName.containerState("stopped") }
        #expect(StateName.of(Runtime_V1_PodSandboxState.sandboxNotready) == "NotReady")
        #expect(StateName.of(Runtime_V1_ContainerState.containerCreated) == "Created")
    }

    @Test func labelsAreKeyValuePairs() throws {
        #expect(try LabelSelector.parse(["a=b", "c=", "d=e=f"]) == ["a": "b", "c": "", "d": "e=f"])
        #expect(throws: (any Error).self) { try LabelSelector.parse(["nolabel"]) }
        #expect(throws: (any Error).self) { try LabelSelector.parse(["=x"]) }
    }

    @Test(arguments: [(Double, String)]([
        (0.5, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"), (150, "2 minutes"),
        (3600, "About an hour"), (7200, "2 hours"), (259_200, "3 days"), (1_728_000, "2 weeks"),
        (7_776_000, "3 months"), (69_120_000, "2 years"),
    ]))
    func durationsReadLikeCrictls(seconds: Double, expected: String) {
        #expect(humanDuration(seconds) == expected)
    }
}

@Suite struct RuntimeTableTests {
    let now = Date(timeIntervalSince1970: 1_000)
    let id = String(repeating: "a", count: 64)
    let podID = String(repeating: "b", count: 64)

    @Test func podsTable() {
        var pod = Runtime_V1_PodSandbox()
        pod.id = podID
        pod.createdAt = 880 * 1_000_000_000
        pod.metadata.name = "busybox-sandbox"
        pod.metadata.namespace = "default"
        pod.metadata.attempt = 1
        #expect(
            Pods.table([pod], truncate: true, now: now) == """
                POD ID              CREATED             STATE               NAME                NAMESPACE           ATTEMPT             RUNTIME
                bbbbbbbbbbbbb       2 minutes ago       Ready               busybox-sandbox     default             1                   (default)

                """)
        #expect(Pods.table([pod], truncate: false, now: now).contains(podID))
    }

    @Test func psTable() {
        var container = Runtime_V1_Container()
        container.id = id
        container.podSandboxID = podID
        container.image.image = "sha256:" + String(repeating: "c", count: 64)
        container.createdAt = 999 * 1_000_000_000
        container.state = .containerRunning
        container.metadata.name = "busybox"
        #expect(
            Ps.table([container], podNames: [podID: "busybox-sandbox"], truncate: true, now: now) == """
                CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD
                aaaaaaaaaaaaa       ccccccccccccc       1 second ago        Running             busybox             0                   bbbbbbbbbbbbb       busybox-sandbox

                """)
    }

    func stats(cpu: UInt64, at timestamp: Int64, nanoCores: UInt64? = nil) -> Runtime_V1_ContainerStats {
        var stats = Runtime_V1_ContainerStats()
        stats.attributes.id = id
        stats.attributes.metadata.name = "busybox"
        stats.cpu.timestamp = timestamp
        stats.cpu.usageCoreNanoSeconds.value = cpu
        if let nanoCores { stats.cpu.usageNanoCores.value = nanoCores }
        stats.memory.workingSetBytes.value = 4_270_000
        stats.writableLayer.usedBytes.value = 12_000
        stats.writableLayer.inodesUsed.value = 7
        return stats
    }

    @Test func statsTableComputesCPUFromTwoSamples() {
        let first = [stats(cpu: 1_000_000_000, at: 10_000_000_000)]
        let second = [stats(cpu: 1_250_000_000, at: 11_000_000_000)]
        #expect(
            Stats.table(first: first, second: second) == """
                CONTAINER           NAME                CPU %               MEM                 DISK                INODES
                aaaaaaaaaaaaa       busybox             25.00               4.27MB              12kB                7

                """)
        // One sample: the runtime's own rate, or nothing to show.
        #expect(Stats.table(first: [stats(cpu: 1, at: 1, nanoCores: 500_000_000)], second: nil).contains("50.00"))
        #expect(Stats.table(first: [stats(cpu: 1, at: 1)], second: nil).contains(" - "))
    }

    @Test func inspectDocumentsUnfoldInfo() throws {
        var status = Runtime_V1_ContainerStatus()
        status.id = "c1"
        status.logPath = "/var/log/pods/x/0.log"
        let document = try statusDocument(status, info: ["info": #"{"pid": 42}"#, "note": "plain"])
        #expect(
            document
                == .object([
                    "status": .object(["id": .string("c1"), "logPath": .string("/var/log/pods/x/0.log")]),
                    "info": .object(["pid": .int(42)]),
                    "note": .string("plain"),
                ]))
    }
}

@Suite struct RuntimeArgumentTests {
    @Test func verbOptionsAfterTheVerbAreTheVerbs() throws {
        let stop = try #require(try Berthctl.parseAsRoot(["-t", "3s", "stop", "-t", "5", "abc", "def"]) as? StopContainer)
        #expect(stop.timeout == 5)
        #expect(stop.containers == ["abc", "def"])

        let logs = try #require(try Berthctl.parseAsRoot(["logs", "-t", "--tail", "3", "-f", "abc"]) as? Logs)
        #expect(logs.timestamps && logs.follow && logs.tail == 3)
        #expect(logs.container == ["abc"])

        let exec = try #require(try Berthctl.parseAsRoot(["exec", "--timeout", "5", "abc", "ls", "-l", "--all"]) as? Exec)
        #expect(exec.timeout == 5)
        #expect(exec.container == "abc")
        #expect(exec.command == ["ls", "-l", "--all"])
    }

    @Test func interactiveVerbsParse() throws {
        let exec = try #require(try Berthctl.parseAsRoot(["exec", "-i", "-t", "abc", "sh", "-c", "exit 3"]) as? Exec)
        #expect(exec.interactive && exec.tty)
        #expect(exec.command == ["sh", "-c", "exit 3"])
        do {
            _ = try Berthctl.parseAsRoot(["exec", "-s", "-i", "abc", "sh"])
            Issue.record("exec --sync -i was accepted")
        } catch {
            #expect(Berthctl.message(for: error).contains("--sync cannot be combined"))
        }
        let attach = try #require(try Berthctl.parseAsRoot(["attach", "-i", "abc"]) as? Attach)
        #expect(attach.interactive && !attach.tty && attach.container == "abc")
        let forward = try #require(try Berthctl.parseAsRoot(["port-forward", "pod1", "8080:80", "9090"]) as? PortForward)
        #expect(try forward.parsed().map { [$0.local, $0.remote] } == [[8080, 80], [9090, 9090]])
        #expect(throws: (any Error).self) { _ = try Berthctl.parseAsRoot(["port-forward", "pod1", "x:80"]) }
    }

    @Test func updateSendsOnlyTheGivenResources() throws {
        let update = try #require(
            try Berthctl.parseAsRoot(["update", "--memory", "1048576", "--cpu-quota", "50000", "--cpuset-cpus", "0-1", "abc"])
                as? Update)
        #expect(update.resources.memoryLimitInBytes == 1_048_576)
        #expect(update.resources.cpuQuota == 50_000)
        #expect(update.resources.cpusetCpus == "0-1")
        #expect(update.resources.cpuPeriod == 0)
    }
}
