import CRI

extension RuntimeService {
    /// CRI `Version`.
    public func version(_ request: Runtime_V1_VersionRequest) -> Runtime_V1_VersionResponse {
        var response = Runtime_V1_VersionResponse()
        response.version = "0.1.0" // the CRI API version this server speaks
        response.runtimeName = "berth"
        response.runtimeVersion = Self.version
        response.runtimeApiVersion = "v1"
        return response
    }
}
