import BerthBase
import CRI

extension BerthClient {
    private static let runtime = "runtime.v1.RuntimeService/"

    /// The runtime's name and versions (`Version`).
    public func version(timeout: Duration? = nil) async throws(BerthError) -> Runtime_V1_VersionResponse {
        var request = Runtime_V1_VersionRequest()
        request.version = "v1"
        return try await call(Self.runtime + "Version", request, timeout: timeout)
    }

    /// The runtime's conditions, with extra detail in `info` when `verbose` (`Status`).
    public func status(verbose: Bool = false, timeout: Duration? = nil) async throws(BerthError) -> Runtime_V1_StatusResponse {
        var request = Runtime_V1_StatusRequest()
        request.verbose = verbose
        return try await call(Self.runtime + "Status", request, timeout: timeout)
    }

    /// The runtime's configuration as the kubelet sees it, e.g. its cgroup driver (`RuntimeConfig`).
    public func runtimeConfig(timeout: Duration? = nil) async throws(BerthError) -> Runtime_V1_RuntimeConfigResponse {
        try await call(Self.runtime + "RuntimeConfig", Runtime_V1_RuntimeConfigRequest(), timeout: timeout)
    }
}
