import BerthBase
import CRI

extension BerthClient {
    private static let sandboxes = "runtime.v1.RuntimeService/"

    /// Creates and starts a pod sandbox, returning its id (`RunPodSandbox`). An empty
    /// `runtimeHandler` means the runtime's default handler.
    public func runPodSandbox(
        _ config: Runtime_V1_PodSandboxConfig, runtimeHandler: String = "", timeout: Duration? = nil
    ) async throws(BerthError) -> String {
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        request.runtimeHandler = runtimeHandler
        let response = try await call(
            Self.sandboxes + "RunPodSandbox", request, as: Runtime_V1_RunPodSandboxResponse.self, timeout: timeout)
        return response.podSandboxID
    }

    /// Stops every process of the sandbox and releases its network; stopping a stopped
    /// sandbox is not an error (`StopPodSandbox`).
    public func stopPodSandbox(_ id: String, timeout: Duration? = nil) async throws(BerthError) {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = id
        _ = try await call(
            Self.sandboxes + "StopPodSandbox", request, as: Runtime_V1_StopPodSandboxResponse.self, timeout: timeout)
    }

    /// Removes the sandbox and its containers; removing one that is gone is not an error
    /// (`RemovePodSandbox`).
    public func removePodSandbox(_ id: String, timeout: Duration? = nil) async throws(BerthError) {
        var request = Runtime_V1_RemovePodSandboxRequest()
        request.podSandboxID = id
        _ = try await call(
            Self.sandboxes + "RemovePodSandbox", request, as: Runtime_V1_RemovePodSandboxResponse.self, timeout: timeout)
    }

    /// The sandbox's status, with extra detail in `info` when `verbose` (`PodSandboxStatus`).
    public func podSandboxStatus(
        _ id: String, verbose: Bool = false, timeout: Duration? = nil
    ) async throws(BerthError) -> Runtime_V1_PodSandboxStatusResponse {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        request.verbose = verbose
        return try await call(Self.sandboxes + "PodSandboxStatus", request, timeout: timeout)
    }

    /// The sandboxes, or only those matching `filter` (`ListPodSandbox`).
    public func listPodSandbox(
        filter: Runtime_V1_PodSandboxFilter? = nil, timeout: Duration? = nil
    ) async throws(BerthError) -> [Runtime_V1_PodSandbox] {
        var request = Runtime_V1_ListPodSandboxRequest()
        if let filter { request.filter = filter }
        let response = try await call(
            Self.sandboxes + "ListPodSandbox", request, as: Runtime_V1_ListPodSandboxResponse.self, timeout: timeout)
        return response.items
    }
}
