import BerthBase
import CRI
import ContainerPolicy
import RuntimeState

extension RuntimeService {
    /// CRI `UpdateContainerResources`: the update is merged into the container's limits as
    /// containerd merges it (what it sets replaces, the rest stays), the whole result goes
    /// into the live cgroup (when the container runs) and into its Spec, so status reports
    /// it. A limit whose controller is missing on this host is refused, never dropped.
    public func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest) async throws(BerthError) -> Runtime_V1_UpdateContainerResourcesResponse {
        let found = try await store.findContainer(request.containerID)
        try await withKey(found.id) { () async throws(BerthError) in
            guard let record = await store.container(found.id) else { throw BerthError(.notFound, "container \(found.id) not found") }
            guard record.phase != .exited else {
                throw BerthError(.failedPrecondition, "container \(record.id) has exited; its resources cannot change")
            }
            var spec = try loadSpec(bundle: record.bundle)
            let requested = ResourcePolicy.merged(record.config.message.linux.resources, with: request.linux)
            var resources = try ResourcePolicy.resources(
                requested, controllers: Set(cgroup?.controllers ?? []), swapAvailable: swapAvailable, field: "linux")
            // The device rules are no CRI resource: they stay as created.
            resources.devices = spec.linux?.resources?.devices
            if spec.linux == nil { spec.linux = .init() }
            spec.linux?.resources = resources
            if record.phase == .running { try applyResources(resources, to: containerCgroupPath(record)) }
            try FileSystem.atomicWrite(try encodeSpec(spec), to: "\(record.bundle)/config.json", mode: 0o600, durable: false)
            try await store.updateContainer(record.id) { $0.config.message.linux.resources = requested }
        }
        return .init()
    }
}
