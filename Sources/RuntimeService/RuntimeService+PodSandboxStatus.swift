import BerthBase
import CRI
import Foundation
import RuntimeState

extension RuntimeService {
    /// CRI `PodSandboxStatus`; with `verbose`, `info` holds the infra pid, cgroup and config.
    public func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest) async throws(BerthError) -> Runtime_V1_PodSandboxStatusResponse {
        let record = try await store.findSandbox(request.podSandboxID)
        var response = Runtime_V1_PodSandboxStatusResponse()
        response.status = sandboxStatus(record)
        response.timestamp = nowNanos()
        if request.verbose {
            let info: [String: Any] = [
                "pid": record.infra?.pid ?? 0,
                "runtimeHandler": record.runtimeHandler,
                "cgroupPath": record.cgroupPath,
                "hostname": record.hostname,
                "netns": record.netnsPath ?? "",
                "notReadyReason": record.notReadyReason ?? "",
                "config": (try? JSONSerialization.jsonObject(with: Data(record.config.message.jsonUTF8Data()))) ?? [:],
            ]
            response.info["info"] = jsonText(info)
        }
        return response
    }

    func sandboxStatus(_ record: SandboxRecord) -> Runtime_V1_PodSandboxStatus {
        let config = record.config.message
        var status = Runtime_V1_PodSandboxStatus()
        status.id = record.id
        status.metadata = config.metadata
        status.state = record.criState
        status.createdAt = record.createdAt
        var network = Runtime_V1_PodSandboxNetworkStatus()
        let ips = record.phase == .ready ? record.ips ?? [] : []
        if let primary = ips.first { network.ip = primary }
        network.additionalIps = ips.dropFirst().map { ip in
            var podIP = Runtime_V1_PodIP()
            podIP.ip = ip
            return podIP
        }
        status.network = network
        var namespace = Runtime_V1_Namespace()
        namespace.options = config.linux.securityContext.namespaceOptions
        status.linux.namespaces = namespace
        status.labels = config.labels
        status.annotations = config.annotations
        status.runtimeHandler = record.runtimeHandler
        return status
    }
}

/// Compact JSON text for a verbose `info` value.
func jsonText(_ value: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}
