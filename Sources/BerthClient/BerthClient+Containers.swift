import BerthBase
import CRI

extension BerthClient {
    private static let containers = "runtime.v1.RuntimeService/"

    /// Creates a container in sandbox `podSandboxID`, returning its id (`CreateContainer`).
    /// `sandboxConfig` is the config the sandbox was run with, as the kubelet passes it.
    public func createContainer(
        podSandboxID: String, config: Runtime_V1_ContainerConfig, sandboxConfig: Runtime_V1_PodSandboxConfig,
        timeout: Duration? = nil
    ) async throws(BerthError) -> String {
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = podSandboxID
        request.config = config
        request.sandboxConfig = sandboxConfig
        let response = try await call(
            Self.containers + "CreateContainer", request, as: Runtime_V1_CreateContainerResponse.self, timeout: timeout)
        return response.containerID
    }

    /// Starts a created container (`StartContainer`).
    public func startContainer(_ id: String, timeout: Duration? = nil) async throws(BerthError) {
        var request = Runtime_V1_StartContainerRequest()
        request.containerID = id
        _ = try await call(
            Self.containers + "StartContainer", request, as: Runtime_V1_StartContainerResponse.self, timeout: timeout)
    }

    /// Stops a container, killing it `gracePeriod` seconds after asking it to stop
    /// (`StopContainer`). The runtime may take that long to answer, so the call's deadline is
    /// `timeout` on top of the grace period.
    public func stopContainer(
        _ id: String, gracePeriod: Int64 = 0, timeout: Duration? = nil
    ) async throws(BerthError) {
        var request = Runtime_V1_StopContainerRequest()
        request.containerID = id
        request.timeout = gracePeriod
        _ = try await call(
            Self.containers + "StopContainer", request, as: Runtime_V1_StopContainerResponse.self,
            timeout: Self.deadline(waitingUpTo: gracePeriod, plus: timeout))
    }

    /// Removes a container; removing one that is gone is not an error (`RemoveContainer`).
    public func removeContainer(_ id: String, timeout: Duration? = nil) async throws(BerthError) {
        var request = Runtime_V1_RemoveContainerRequest()
        request.containerID = id
        _ = try await call(
            Self.containers + "RemoveContainer", request, as: Runtime_V1_RemoveContainerResponse.self, timeout: timeout)
    }

    /// The containers, or only those matching `filter` (`ListContainers`).
    public func listContainers(
        filter: Runtime_V1_ContainerFilter? = nil, timeout: Duration? = nil
    ) async throws(BerthError) -> [Runtime_V1_Container] {
        var request = Runtime_V1_ListContainersRequest()
        if let filter { request.filter = filter }
        let response = try await call(
            Self.containers + "ListContainers", request, as: Runtime_V1_ListContainersResponse.self, timeout: timeout)
        return response.containers
    }

    /// The container's status, with extra detail in `info` when `verbose` (`ContainerStatus`).
    public func containerStatus(
        _ id: String, verbose: Bool = false, timeout: Duration? = nil
    ) async throws(BerthError) -> Runtime_V1_ContainerStatusResponse {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        request.verbose = verbose
        return try await call(Self.containers + "ContainerStatus", request, timeout: timeout)
    }

    /// Changes the container's Linux resources (`UpdateContainerResources`).
    public func updateContainerResources(
        _ id: String, linux: Runtime_V1_LinuxContainerResources, annotations: [String: String] = [:],
        timeout: Duration? = nil
    ) async throws(BerthError) {
        var request = Runtime_V1_UpdateContainerResourcesRequest()
        request.containerID = id
        request.linux = linux
        request.annotations = annotations
        _ = try await call(
            Self.containers + "UpdateContainerResources", request,
            as: Runtime_V1_UpdateContainerResourcesResponse.self, timeout: timeout)
    }

    /// Asks the runtime to reopen the container's log file, after it was rotated (`ReopenContainerLog`).
    public func reopenContainerLog(_ id: String, timeout: Duration? = nil) async throws(BerthError) {
        var request = Runtime_V1_ReopenContainerLogRequest()
        request.containerID = id
        _ = try await call(
            Self.containers + "ReopenContainerLog", request, as: Runtime_V1_ReopenContainerLogResponse.self,
            timeout: timeout)
    }

    /// Runs `command` in the container and returns its output and exit code (`ExecSync`).
    /// `execTimeout` is in seconds, 0 for none; the call's deadline is `timeout` on top of it,
    /// so the runtime's own timeout reply arrives before the client gives up. Without an exec
    /// timeout the call has no deadline either, as the command may rightly run for long.
    public func execSync(
        _ id: String, command: [String], execTimeout: Int64 = 0, timeout: Duration? = nil
    ) async throws(BerthError) -> Runtime_V1_ExecSyncResponse {
        var request = Runtime_V1_ExecSyncRequest()
        request.containerID = id
        request.cmd = command
        request.timeout = execTimeout
        return try await call(
            Self.containers + "ExecSync", request,
            timeout: execTimeout > 0 ? Self.deadline(waitingUpTo: execTimeout, plus: timeout) : nil)
    }

    /// The deadline of a call the runtime may spend up to `seconds` on before it answers:
    /// `base` on top of those seconds, or none when `base` is none.
    public static func deadline(waitingUpTo seconds: Int64, plus base: Duration?) -> Duration? {
        guard let base else { return nil }
        return seconds > 0 ? base + .seconds(seconds) : base
    }
}
