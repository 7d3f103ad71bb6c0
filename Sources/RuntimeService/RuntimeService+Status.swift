import CRI
import Cgroups
import Foundation

extension RuntimeService {
    /// Whether pods may ask for a user namespace of their own (`userns_options` mode POD).
    static let supportsUserNamespaces = true


    /// CRI `Status`: the runtime and network conditions, and (verbose) what this host offers.
    /// Pod networking is ready when the CNI configuration directory holds a valid network
    /// and every plugin it names is found; cgroup controllers are listed as the kernel offers them.
    public func status(_ request: Runtime_V1_StatusRequest) -> Runtime_V1_StatusResponse {
        var runtimeReady = Runtime_V1_RuntimeCondition()
        runtimeReady.type = "RuntimeReady"
        runtimeReady.status = true
        var networkReady = Runtime_V1_RuntimeCondition()
        networkReady.type = "NetworkReady"
        do {
            _ = try network.ready()
            networkReady.status = true
        } catch {
            networkReady.status = false
            networkReady.reason = "NetworkPluginNotReady"
            networkReady.message = error.message
        }
        var status = Runtime_V1_RuntimeStatus()
        status.conditions = [runtimeReady, networkReady]

        var response = Runtime_V1_StatusResponse()
        response.status = status
        var native = Runtime_V1_RuntimeHandler()
        native.name = ""
        // berth-shim makes recursive read-only mounts with mount_setattr(AT_RECURSIVE).
        native.features.recursiveReadOnlyMounts = true
        native.features.userNamespaces = Self.supportsUserNamespaces
        response.runtimeHandlers = [native]
        response.features = Runtime_V1_RuntimeFeatures()
        if request.verbose {
            let info: [String: Any] = [
                "version": Self.version,
                "cgroup": [
                    "mountpoint": cgroup?.path ?? "",
                    "controllers": cgroup?.controllers ?? [],
                    "missingControllers": Cgroup.defaultControllers.filter { !(cgroup?.controllers ?? []).contains($0) },
                    "limitsEnforceable": cgroup.map { ["cpu", "memory", "pids"].allSatisfy($0.controllers.contains) } ?? false,
                    "root": cgroupRoot,
                ],
                "cni": [
                    "confDir": network.confDir,
                    "binDirs": network.binDirs,
                    "network": (try? network.ready().network.source) ?? "",
                ],
            ]
            if let data = try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]) {
                response.info["info"] = String(decoding: data, as: UTF8.self)
            }
        }
        return response
    }
}
