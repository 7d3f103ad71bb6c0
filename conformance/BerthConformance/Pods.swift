import BerthBase
import CRI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A name no other check (or earlier run) uses: `base-1a2b3c4d`.
func uniqueName(_ base: String) -> String {
    "\(base)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// A pod sandbox a check runs, with the config it was run with.
struct Pod: Sendable {
    let harness: Harness
    let id: String
    let config: Runtime_V1_PodSandboxConfig

    /// A container config for the probe image running `command` (the image's entrypoint and
    /// command when nil), logging to `<name>.log` in the pod's log directory.
    func containerConfig(_ name: String, command: [String]? = ["sleep", "3600"], image: String? = nil) -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = name
        config.metadata.attempt = 0
        config.image.image = image ?? harness.probeImage
        if let command { config.command = command }
        config.logPath = "\(name).log"
        config.linux = Runtime_V1_LinuxContainerConfig()
        config.linux.securityContext = Runtime_V1_LinuxContainerSecurityContext()
        return config
    }

    /// Creates a container; returns its id.
    func create(_ config: Runtime_V1_ContainerConfig) async throws -> String {
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = id
        request.config = config
        request.sandboxConfig = self.config
        let response = try await harness.call(
            Method.runtime("CreateContainer"), request, as: Runtime_V1_CreateContainerResponse.self, timeout: .seconds(120))
        try expect(!response.containerID.isEmpty, "CreateContainer \(config.metadata.name): empty container id")
        return response.containerID
    }

    /// Creates a container from `containerConfig(name, command:)` changed by `configure`.
    func create(
        _ name: String, command: [String]? = ["sleep", "3600"],
        _ configure: (inout Runtime_V1_ContainerConfig) -> Void = { _ in }
    ) async throws -> String {
        var config = containerConfig(name, command: command)
        configure(&config)
        return try await create(config)
    }

    /// Creates and starts a container; returns its id.
    func run(
        _ name: String, command: [String]? = ["sleep", "3600"],
        _ configure: (inout Runtime_V1_ContainerConfig) -> Void = { _ in }
    ) async throws -> String {
        let id = try await create(name, command: command, configure)
        try await harness.start(id)
        return id
    }

    /// Runs a container to its end and returns its final status.
    func runToExit(
        _ name: String, command: [String]?, within limit: Duration = .seconds(30),
        _ configure: (inout Runtime_V1_ContainerConfig) -> Void = { _ in }
    ) async throws -> Runtime_V1_ContainerStatus {
        let id = try await run(name, command: command, configure)
        return try await harness.waitFor(id, .containerExited, within: limit)
    }

    /// The file a container's log goes to, on this host.
    func logFile(_ config: Runtime_V1_ContainerConfig) -> String {
        "\(self.config.logDirectory)/\(config.logPath)"
    }
}

extension Harness {
    var probeImage: String { reference("probe:latest") }

    /// Pulls `reference` unless berthd already has it.
    func ensureImage(_ reference: String) async throws {
        if try await status(reference) == nil {
            _ = try await pull(reference)
        }
    }

    /// A pod config with unique metadata, a fresh log directory and no extras.
    func podConfig(_ base: String) throws -> Runtime_V1_PodSandboxConfig {
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = uniqueName(base)
        config.metadata.uid = UUID().uuidString.lowercased()
        config.metadata.namespace = "berth-conformance"
        config.metadata.attempt = 0
        config.logDirectory = try HostFiles.temporaryDirectory("berth-conformance-logs")
        config.linux = Runtime_V1_LinuxPodSandboxConfig()
        config.linux.securityContext = Runtime_V1_LinuxSandboxSecurityContext()
        return config
    }

    func runPodSandbox(_ config: Runtime_V1_PodSandboxConfig) async throws -> String {
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        if runtimeHandler != "native" { request.runtimeHandler = runtimeHandler }
        let response = try await call(
            Method.runtime("RunPodSandbox"), request, as: Runtime_V1_RunPodSandboxResponse.self, timeout: .seconds(120))
        try expect(!response.podSandboxID.isEmpty, "RunPodSandbox \(config.metadata.name): empty pod sandbox id")
        return response.podSandboxID
    }

    /// Runs a pod (the probe image pulled first), hands it to `body`, then stops and removes
    /// its containers and the pod whatever happened. A clean-up failure after a passing body
    /// fails the check.
    @discardableResult
    func withPod<T>(
        _ base: String, _ configure: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in },
        _ body: (Pod) async throws -> T
    ) async throws -> T {
        try await ensureImage(probeImage)
        var config = try podConfig(base)
        configure(&config)
        let id: String
        do {
            id = try await runPodSandbox(config)
        } catch {
            try? FileSystem.removeTree(config.logDirectory)
            throw error
        }
        let pod = Pod(harness: self, id: id, config: config)
        let result: T
        do {
            result = try await body(pod)
        } catch {
            try? await tearDown(pod)
            throw error
        }
        try await tearDown(pod)
        return result
    }

    /// Stops and removes every container of the pod, then the pod, then its log directory.
    func tearDown(_ pod: Pod) async throws {
        defer { try? FileSystem.removeTree(pod.config.logDirectory) }
        var failures: [String] = []
        let containers = (try? await listContainers { $0.podSandboxID = pod.id }) ?? []
        for container in containers {
            do {
                try await stopContainer(container.id, timeout: 0)
                try await removeContainer(container.id)
            } catch {
                failures.append("clean up container \(container.id): \(error)")
            }
        }
        do {
            try await stopPod(pod.id)
            try await removePod(pod.id)
        } catch {
            failures.append("clean up pod \(pod.id): \(error)")
        }
        try expect(failures.isEmpty, failures.joined(separator: "; "))
    }

    func stopPod(_ id: String) async throws {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = id
        _ = try await call(Method.runtime("StopPodSandbox"), request, as: Runtime_V1_StopPodSandboxResponse.self, timeout: .seconds(120))
    }

    func removePod(_ id: String) async throws {
        var request = Runtime_V1_RemovePodSandboxRequest()
        request.podSandboxID = id
        _ = try await call(Method.runtime("RemovePodSandbox"), request, as: Runtime_V1_RemovePodSandboxResponse.self, timeout: .seconds(120))
    }

    func podStatus(_ id: String, verbose: Bool = false) async throws -> Runtime_V1_PodSandboxStatusResponse {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        request.verbose = verbose
        return try await call(Method.runtime("PodSandboxStatus"), request, as: Runtime_V1_PodSandboxStatusResponse.self)
    }

    func listPods(_ filter: ((inout Runtime_V1_PodSandboxFilter) -> Void)? = nil) async throws -> [Runtime_V1_PodSandbox] {
        var request = Runtime_V1_ListPodSandboxRequest()
        if let filter {
            var value = Runtime_V1_PodSandboxFilter()
            filter(&value)
            request.filter = value
        }
        return try await call(Method.runtime("ListPodSandbox"), request, as: Runtime_V1_ListPodSandboxResponse.self).items
    }

    func start(_ id: String) async throws {
        var request = Runtime_V1_StartContainerRequest()
        request.containerID = id
        _ = try await call(Method.runtime("StartContainer"), request, as: Runtime_V1_StartContainerResponse.self, timeout: .seconds(120))
    }

    func stopContainer(_ id: String, timeout: Int64) async throws {
        var request = Runtime_V1_StopContainerRequest()
        request.containerID = id
        request.timeout = timeout
        _ = try await call(
            Method.runtime("StopContainer"), request, as: Runtime_V1_StopContainerResponse.self,
            timeout: .seconds(timeout + 60))
    }

    func removeContainer(_ id: String) async throws {
        var request = Runtime_V1_RemoveContainerRequest()
        request.containerID = id
        _ = try await call(Method.runtime("RemoveContainer"), request, as: Runtime_V1_RemoveContainerResponse.self, timeout: .seconds(60))
    }

    func containerStatus(_ id: String) async throws -> Runtime_V1_ContainerStatus {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        let response = try await call(Method.runtime("ContainerStatus"), request, as: Runtime_V1_ContainerStatusResponse.self)
        try expect(response.hasStatus, "ContainerStatus \(id): no status")
        return response.status
    }

    func listContainers(_ filter: ((inout Runtime_V1_ContainerFilter) -> Void)? = nil) async throws -> [Runtime_V1_Container] {
        var request = Runtime_V1_ListContainersRequest()
        if let filter {
            var value = Runtime_V1_ContainerFilter()
            filter(&value)
            request.filter = value
        }
        return try await call(Method.runtime("ListContainers"), request, as: Runtime_V1_ListContainersResponse.self).containers
    }

    /// Polls ContainerStatus until the container is in `state`; fails after `limit`.
    @discardableResult
    func waitFor(_ id: String, _ state: Runtime_V1_ContainerState, within limit: Duration) async throws -> Runtime_V1_ContainerStatus {
        let deadline = ContinuousClock.now + limit
        while true {
            let status = try await containerStatus(id)
            if status.state == state { return status }
            guard ContinuousClock.now < deadline else {
                throw CheckFailure(reason: "container \(id) (\(status.metadata.name)) is \(status.state), not \(state) after \(limit)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func execSync(_ id: String, _ command: [String], timeout: Int64 = 30) async throws -> Runtime_V1_ExecSyncResponse {
        var request = Runtime_V1_ExecSyncRequest()
        request.containerID = id
        request.cmd = command
        request.timeout = timeout
        return try await call(
            Method.runtime("ExecSync"), request, as: Runtime_V1_ExecSyncResponse.self, timeout: .seconds(timeout + 60))
    }

    /// Runs `command` in the container, which must exit 0; returns its stdout, trimmed.
    func output(_ id: String, _ command: [String]) async throws -> String {
        let response = try await execSync(id, command)
        let stdout = String(decoding: response.stdout, as: UTF8.self)
        let stderr = String(decoding: response.stderr, as: UTF8.self)
        try expect(
            response.exitCode == 0,
            "exec \(command.joined(separator: " ")): exit code \(response.exitCode), stdout \(stdout.debugDescription), stderr \(stderr.debugDescription)")
        return stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `sh -c script` in the container; returns (exit code, stdout + stderr trimmed).
    func shell(_ id: String, _ script: String) async throws -> (code: Int32, text: String) {
        let response = try await execSync(id, ["sh", "-c", script])
        let text = String(decoding: response.stdout + response.stderr, as: UTF8.self)
        return (response.exitCode, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The runtime handler features berthd reports for the handler under test.
    func handlerFeatures() async throws -> Runtime_V1_RuntimeHandlerFeatures? {
        var request = Runtime_V1_StatusRequest()
        request.verbose = false
        let status = try await call(Method.runtime("Status"), request, as: Runtime_V1_StatusResponse.self)
        let handler = status.runtimeHandlers.first { $0.name == runtimeHandler }
            ?? status.runtimeHandlers.first { $0.name.isEmpty && runtimeHandler == "native" }
        return handler?.hasFeatures == true ? handler?.features : nil
    }
}

/// The host side of checks that share files, mounts and namespaces with containers (the
/// harness runs on the daemon's host, as root).
enum HostFiles {
    /// A fresh directory under /tmp.
    static func temporaryDirectory(_ base: String) throws -> String {
        var template = Array("/tmp/\(base).XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CheckFailure(reason: "mkdtemp /tmp/\(base): \(FileSystem.errnoText())")
        }
        return String(cString: made)
    }

    static func write(_ text: String, to path: String) throws {
        do {
            try FileSystem.atomicWrite(Array(text.utf8), to: path)
        } catch {
            throw CheckFailure(reason: "write \(path): \(error)")
        }
    }

    static func read(_ path: String) -> String? {
        (try? FileSystem.read(path)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
    }

    static func size(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    /// `net:[4026531840]` for `/proc/self/ns/net`.
    static func namespace(_ kind: String) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/self/ns/\(kind)", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    static func mount(_ source: String, _ target: String, type: String?, flags: UInt, data: String? = nil) throws {
        let result = data.map { Glibc.mount(source, target, type, flags, $0) } ?? Glibc.mount(source, target, type, flags, nil)
        guard result == 0 else {
            throw CheckFailure(reason: "mount \(source) on \(target): \(FileSystem.errnoText())")
        }
    }

    static func unmount(_ target: String) {
        _ = umount2(target, Int32(MNT_DETACH))
    }

    /// Makes `directory` a mount point of its own with shared propagation, so a volume can be
    /// mounted from it with rslave or rshared propagation whatever the host's / is.
    static func makeSharedMount(_ directory: String) throws {
        try mount(directory, directory, type: nil, flags: UInt(MS_BIND))
        try mount("none", directory, type: nil, flags: UInt(MS_SHARED))
    }

    /// Removes a directory tree after lazily unmounting anything below it.
    static func removeTree(_ directory: String, mounts: [String] = []) {
        for target in mounts.reversed() { unmount(target) }
        try? FileSystem.removeTree(directory)
    }

    /// Whether `path` is a mount point in this (the host's) mount namespace.
    static func isMountPoint(_ path: String) -> Bool {
        guard let text = read("/proc/self/mountinfo") else { return false }
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4] == path
        }
    }

    /// The controllers the host's cgroup v2 root offers (empty when none or no cgroup2).
    static func cgroup2Controllers() -> [String] {
        guard let mountinfo = read("/proc/self/mountinfo") else { return [] }
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 4 else { continue }
            if fields[dash + 1] == "cgroup2" {
                return read("\(fields[4])/cgroup.controllers")?.split(whereSeparator: \.isWhitespace).map(String.init) ?? []
            }
        }
        return []
    }
}

