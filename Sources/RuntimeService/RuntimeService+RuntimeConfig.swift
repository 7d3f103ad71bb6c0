import CRI

extension RuntimeService {
    /// CRI `RuntimeConfig`: Berth manages cgroups itself, through the cgroupfs.
    public func runtimeConfig(_ request: Runtime_V1_RuntimeConfigRequest) -> Runtime_V1_RuntimeConfigResponse {
        var linux = Runtime_V1_LinuxRuntimeConfiguration()
        linux.cgroupDriver = .cgroupfs
        var response = Runtime_V1_RuntimeConfigResponse()
        response.linux = linux
        return response
    }
}
