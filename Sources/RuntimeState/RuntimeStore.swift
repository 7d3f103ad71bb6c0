import BerthBase
import CRI
import Logging

/// Every sandbox and container Berth knows, with their unique names, kept in one actor so
/// that a name is never taken twice and each change is persisted before it is seen.
public actor RuntimeStore {
    private var sandboxes: [String: SandboxRecord] = [:]
    private var containers: [String: ContainerRecord] = [:]
    private var sandboxNames: [String: String] = [:]
    private var containerNames: [String: String] = [:]
    private var exitWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private let sandboxFiles: RecordStore<SandboxRecord>
    private let containerFiles: RecordStore<ContainerRecord>

    public init(root: String, logger: Logger) throws(BerthError) {
        sandboxFiles = try RecordStore(directory: "\(root)/sandboxes", kind: "sandbox", logger: logger)
        containerFiles = try RecordStore(directory: "\(root)/containers", kind: "container", logger: logger)
    }

    /// Loads the records on disk (at start-up, before any request).
    public func load() -> (sandboxes: [SandboxRecord], containers: [ContainerRecord]) {
        for record in sandboxFiles.all() {
            sandboxes[record.id] = record
            sandboxNames[record.uniqueName] = record.id
        }
        for record in containerFiles.all() {
            containers[record.id] = record
            containerNames[record.uniqueName] = record.id
        }
        return (Array(sandboxes.values), Array(containers.values))
    }

    // MARK: sandboxes

    /// Stores a new sandbox under its unique name, refusing a name already in use.
    public func add(_ record: SandboxRecord) throws(BerthError) {
        if let existing = sandboxNames[record.uniqueName] {
            throw BerthError(
                .alreadyExists, "pod sandbox name \"\(record.uniqueName)\" is already reserved for sandbox \(existing)")
        }
        try sandboxFiles.put(record, id: record.id)
        sandboxes[record.id] = record
        sandboxNames[record.uniqueName] = record.id
    }

    public func sandbox(_ id: String) -> SandboxRecord? { sandboxes[id] }

    public func allSandboxes() -> [SandboxRecord] { Array(sandboxes.values) }

    /// The sandbox a full id or unique prefix names.
    public func findSandbox(_ query: String) throws(BerthError) -> SandboxRecord {
        guard !query.isEmpty else { throw BerthError(.invalidArgument, "pod sandbox id is empty") }
        switch resolveID(query, among: sandboxes.keys) {
        case .found(let id): return sandboxes[id]!
        case .ambiguous: throw BerthError(.invalidArgument, "pod sandbox id prefix \"\(query)\" is ambiguous")
        case .missing: throw BerthError(.notFound, "pod sandbox \"\(query.prefix(80))\" not found")
        }
    }

    @discardableResult
    public func updateSandbox(_ id: String, _ change: (inout SandboxRecord) -> Void) throws(BerthError) -> SandboxRecord? {
        guard var record = sandboxes[id] else { return nil }
        change(&record)
        try sandboxFiles.put(record, id: id)
        sandboxes[id] = record
        return record
    }

    public func removeSandbox(_ id: String) throws(BerthError) {
        guard let record = sandboxes[id] else { return }
        try sandboxFiles.delete(id)
        sandboxes[id] = nil
        if sandboxNames[record.uniqueName] == id { sandboxNames[record.uniqueName] = nil }
    }

    // MARK: containers

    public func add(_ record: ContainerRecord) throws(BerthError) {
        if let existing = containerNames[record.uniqueName] {
            throw BerthError(
                .alreadyExists, "container name \"\(record.uniqueName)\" is already reserved for container \(existing)")
        }
        try containerFiles.put(record, id: record.id)
        containers[record.id] = record
        containerNames[record.uniqueName] = record.id
    }

    public func container(_ id: String) -> ContainerRecord? { containers[id] }

    public func allContainers() -> [ContainerRecord] { Array(containers.values) }

    public func containers(inSandbox id: String) -> [ContainerRecord] {
        containers.values.filter { $0.sandboxID == id }
    }

    public func findContainer(_ query: String) throws(BerthError) -> ContainerRecord {
        guard !query.isEmpty else { throw BerthError(.invalidArgument, "container id is empty") }
        switch resolveID(query, among: containers.keys) {
        case .found(let id): return containers[id]!
        case .ambiguous: throw BerthError(.invalidArgument, "container id prefix \"\(query)\" is ambiguous")
        case .missing: throw BerthError(.notFound, "container \"\(query.prefix(80))\" not found")
        }
    }

    @discardableResult
    public func updateContainer(_ id: String, _ change: (inout ContainerRecord) -> Void) throws(BerthError) -> ContainerRecord? {
        guard var record = containers[id] else { return nil }
        change(&record)
        try containerFiles.put(record, id: id)
        containers[id] = record
        if record.phase == .exited { wakeExitWaiters(id) }
        return record
    }

    public func removeContainer(_ id: String) throws(BerthError) {
        guard let record = containers[id] else { return }
        try containerFiles.delete(id)
        containers[id] = nil
        if containerNames[record.uniqueName] == id { containerNames[record.uniqueName] = nil }
        wakeExitWaiters(id)
    }

    /// Waits until the container has exited or is gone; false when `timeout` passed first.
    public func waitForExit(_ id: String, timeout: Duration) async -> Bool {
        if isDone(id) { return true }
        let deadline = ContinuousClock.now + timeout
        let timer = Task {
            try? await Task.sleep(until: deadline)
            self.wakeExitWaiters(id)
        }
        defer { timer.cancel() }
        while !isDone(id) {
            if ContinuousClock.now >= deadline { return false }
            await withCheckedContinuation { exitWaiters[id, default: []].append($0) }
        }
        return true
    }

    private func isDone(_ id: String) -> Bool {
        guard let record = containers[id] else { return true }
        return record.phase == .exited
    }

    private func wakeExitWaiters(_ id: String) {
        for waiter in exitWaiters.removeValue(forKey: id) ?? [] { waiter.resume() }
    }
}
