import BerthBase
import Glibc
import Cgroups
import CRI
import ImageService
import Logging
import NativeRuntime
import Network
import RuntimeState
import ShimPlan

/// The CRI RuntimeService: pod sandboxes and containers on the native backend, one file
/// per method (`RuntimeService+RunPodSandbox.swift`, …).
public final class RuntimeService: Sendable {
    /// Berth's own version.
    public static let version = "0.1.0"

    let logger: Logger
    let cgroup: CgroupMount?
    let paths: RuntimePaths
    let store: RuntimeStore
    let images: ImageService
    let exits: ExitWatcher
    let launcher: ShimLauncher
    let locks = KeyedLocks()
    let cpuRates = CpuRates()
    let seccompFilters = SeccompFilterCache()
    /// berthd's own capability bounding set, which never changes while it runs: what a
    /// privileged container (or one adding ALL) gets at most.
    let boundingCapabilities = ProcessCapabilities.bounding()
    /// Container lifecycle events for `GetContainerEvents` subscribers.
    public let events = ContainerEvents()
    /// Where pod cgroups go when the pod names no cgroup parent (below the cgroup2 mount).
    let cgroupRoot: String
    /// Pod networking through CNI plugins.
    let network: CNI

    /// Opens the runtime's records under `root` (persistent) and `state` (runtime).
    public init(
        root: String, state: String, shimPath: String, cgroupRoot: String = "berth", network: CNI = CNI(), images: ImageService,
        logger: Logger
    ) throws(BerthError) {
        self.logger = logger
        self.network = network
        self.cgroupRoot = cgroupRoot
        self.cgroup = CgroupMount.detect()
        self.paths = RuntimePaths(root: root, state: state)
        self.images = images
        self.store = try RuntimeStore(root: "\(root)/runtime", logger: logger)
        self.exits = try ExitWatcher()
        self.launcher = ShimLauncher(shimPath: shimPath)
        try FileSystem.makeDirectory(paths.containersRoot, mode: 0o711)
        try FileSystem.makeDirectory(paths.bundlesRoot, mode: 0o711)
        try FileSystem.makeDirectory(paths.podsRoot, mode: 0o711)
        try FileSystem.makeDirectory(paths.netnsRoot, mode: 0o711)
    }
}

/// Where the runtime keeps what: container layers and records persist under the root; bundles,
/// pod files and shim state live under the runtime state directory.
struct RuntimePaths: Sendable {
    let root: String
    let state: String

    var containersRoot: String { "\(root)/containers" }
    var bundlesRoot: String { "\(state)/containers" }
    var podsRoot: String { "\(state)/pods" }
    /// Pods' network namespaces, bind-mounted files named by sandbox id.
    var netnsRoot: String { "\(state)/netns" }

    func containerDirectory(_ id: String) -> String { "\(containersRoot)/\(id)" }
    func bundle(_ id: String) -> String { "\(bundlesRoot)/\(id)" }
    func podDirectory(_ id: String) -> String { "\(podsRoot)/\(id)" }
    func netns(_ id: String) -> String { "\(netnsRoot)/\(id)" }
}

/// Serialises operations on one sandbox or container (a stop racing a remove), while
/// operations on different ids run in parallel.
actor KeyedLocks {
    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func withLock<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        if !held.contains(key) {
            held.insert(key)
            return
        }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    private func release(_ key: String) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }
}

/// Nanoseconds since the epoch, as CRI timestamps are.
func nowNanos() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}
