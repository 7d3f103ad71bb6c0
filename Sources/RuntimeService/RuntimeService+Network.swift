import BerthBase
import CRI
import ContainerPolicy
import Network
import RuntimeState

/// Pod networking: the pod's network namespace is pinned at `<state>/netns/<id>` and attached
/// to the CNI network; the ADD result is cached in the pod's directory for CHECK and DEL.
extension RuntimeService {
    /// Whether the pod runs in a network namespace of its own (and so gets a CNI attachment).
    static func usesPodNetwork(_ config: Runtime_V1_PodSandboxConfig) -> Bool {
        config.linux.securityContext.namespaceOptions.network != .node
    }

    /// Pins the infra's network namespace and runs ADD; returns the pod's addresses. The
    /// caller undoes a failure with `detachNetwork` and `releaseNetns`.
    func attachNetwork(_ record: SandboxRecord, infraPid: Int32, ready: CNI.Ready) async throws(BerthError) -> [String] {
        let path = paths.netns(record.id)
        try await store.updateSandbox(record.id) { $0.netnsPath = path }
        try NetnsFile.pin(pid: infraPid, at: path)
        let config = record.config.message
        let attachment = Attachment(
            containerID: record.id, netns: path, ifName: "eth0",
            args: [
                ("K8S_POD_NAMESPACE", config.metadata.namespace), ("K8S_POD_NAME", config.metadata.name),
                ("K8S_POD_INFRA_CONTAINER_ID", record.id), ("K8S_POD_UID", config.metadata.uid),
            ],
            portMappings: Self.portMappings(config))
        let started = ContinuousClock.now
        let (result, runs) = try await network.add(ready, attachment, cacheFile: record.networkCache)
        logger.info("pod network attached", metadata: [
            "sandbox": "\(record.id)", "network": "\(ready.network.name)", "ips": "\(result.podIPs.joined(separator: ","))",
            "took": "\(Self.milliseconds(ContinuousClock.now - started))",
            "plugins": "\(runs.map { "\($0.type)=\(Self.milliseconds($0.duration))" }.joined(separator: " "))",
        ])
        guard !result.podIPs.isEmpty else {
            throw BerthError(.internal, "CNI network \(ready.network.name): ADD gave the pod no address")
        }
        return result.podIPs
    }

    /// DEL for the pod's cached attachment, retried a few times: the address must be released.
    /// Nothing cached (never attached, or already deleted) is success.
    func detachNetwork(_ record: SandboxRecord) async throws(BerthError) {
        guard FileSystem.exists(record.networkCache) else { return }
        // A namespace that is gone (not pinned here) is passed as empty, as the spec allows
        // for DEL: plugins then release what they hold outside it.
        let netns = record.netnsPath.map { NetnsFile.isPinned($0) ? $0 : "" } ?? ""
        var lastError: BerthError?
        for attempt in 1...3 {
            do {
                let runs = try await network.delete(cacheFile: record.networkCache, netns: netns)
                logger.info("pod network detached", metadata: [
                    "sandbox": "\(record.id)",
                    "plugins": "\(runs.map { "\($0.type)=\(Self.milliseconds($0.duration))" }.joined(separator: " "))",
                ])
                return
            } catch {
                lastError = error
                logger.warning("CNI DEL failed", metadata: ["sandbox": "\(record.id)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
        throw BerthError.wrapping(lastError ?? BerthError(.internal, "CNI DEL failed"), context: "tear down pod network")
    }

    /// CNI CHECK of each ready pod's attachment (after a restart). A pod whose network fails
    /// the check is marked not ready with the plugin's error as the reason, so a node agent
    /// replaces it, as it would a pod whose infra process died.
    func checkNetworks(of sandboxes: [String]) async {
        for id in sandboxes {
            do {
                try await withKey(id) { () async throws(BerthError) in
                    guard let record = try await existingSandbox(id), record.phase == .ready,
                          FileSystem.exists(record.networkCache) else { return }
                    do throws(BerthError) {
                        let runs = try await network.check(cacheFile: record.networkCache)
                        logger.info("pod network checked", metadata: [
                            "sandbox": "\(id)", "plugins": "\(runs.map { "\($0.type)=\(Self.milliseconds($0.duration))" }.joined(separator: " "))",
                        ])
                    } catch {
                        logger.warning("pod network failed CNI CHECK; sandbox not ready", metadata: ["sandbox": "\(id)", "error": "\(error.message)"])
                        try await store.updateSandbox(id) {
                            $0.phase = .notReady
                            $0.notReadyReason = "CNI CHECK: \(error.message)"
                        }
                    }
                }
            } catch {
                logger.warning("pod network not checked", metadata: ["sandbox": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Unmounts and removes the pod's pinned network namespace.
    func releaseNetns(_ record: SandboxRecord) throws(BerthError) {
        guard let path = record.netnsPath else { return }
        try NetnsFile.release(path)
    }

    /// The CRI port mappings with a host port, as the `portMappings` capability carries them.
    static func portMappings(_ config: Runtime_V1_PodSandboxConfig) -> [PortMapping] {
        config.portMappings.filter { $0.hostPort > 0 }.map { mapping in
            let proto = switch mapping.protocol {
            case .udp: "udp"
            case .sctp: "sctp"
            default: "tcp"
            }
            return PortMapping(hostPort: mapping.hostPort, containerPort: mapping.containerPort, protocol: proto, hostIP: mapping.hostIp)
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return "\((ms * 10).rounded() / 10)ms"
    }
}
