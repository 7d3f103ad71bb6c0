import BerthBase
import CRI

extension BerthClient {
    private static let stats = "runtime.v1.RuntimeService/"

    /// One container's CPU, memory and writable-layer usage (`ContainerStats`).
    public func containerStats(_ id: String, timeout: Duration? = nil) async throws(BerthError) -> Runtime_V1_ContainerStats {
        var request = Runtime_V1_ContainerStatsRequest()
        request.containerID = id
        let response = try await call(
            Self.stats + "ContainerStats", request, as: Runtime_V1_ContainerStatsResponse.self, timeout: timeout)
        return response.stats
    }

    /// The usage of every container, or of those matching `filter` (`ListContainerStats`).
    public func listContainerStats(
        filter: Runtime_V1_ContainerStatsFilter? = nil, timeout: Duration? = nil
    ) async throws(BerthError) -> [Runtime_V1_ContainerStats] {
        var request = Runtime_V1_ListContainerStatsRequest()
        if let filter { request.filter = filter }
        let response = try await call(
            Self.stats + "ListContainerStats", request, as: Runtime_V1_ListContainerStatsResponse.self, timeout: timeout)
        return response.stats
    }

    /// One sandbox's usage, with that of its containers (`PodSandboxStats`).
    public func podSandboxStats(_ id: String, timeout: Duration? = nil) async throws(BerthError) -> Runtime_V1_PodSandboxStats {
        var request = Runtime_V1_PodSandboxStatsRequest()
        request.podSandboxID = id
        let response = try await call(
            Self.stats + "PodSandboxStats", request, as: Runtime_V1_PodSandboxStatsResponse.self, timeout: timeout)
        return response.stats
    }

    /// The usage of every sandbox, or of those matching `filter` (`ListPodSandboxStats`).
    public func listPodSandboxStats(
        filter: Runtime_V1_PodSandboxStatsFilter? = nil, timeout: Duration? = nil
    ) async throws(BerthError) -> [Runtime_V1_PodSandboxStats] {
        var request = Runtime_V1_ListPodSandboxStatsRequest()
        if let filter { request.filter = filter }
        let response = try await call(
            Self.stats + "ListPodSandboxStats", request, as: Runtime_V1_ListPodSandboxStatsResponse.self,
            timeout: timeout)
        return response.stats
    }
}
