import BerthBase
import CRI
import Foundation
import RuntimeSpec
import RuntimeState

extension RuntimeService {
    /// CRI `ContainerStatus`; with `verbose`, `info` holds the OCI Spec, the pid and the sandbox.
    public func containerStatus(_ request: Runtime_V1_ContainerStatusRequest) async throws(BerthError) -> Runtime_V1_ContainerStatusResponse {
        let record = try await store.findContainer(request.containerID)
        let spec = try? loadSpec(bundle: record.bundle)
        var response = Runtime_V1_ContainerStatusResponse()
        response.status = containerStatus(record, spec: spec)
        if request.verbose {
            var info: [String: Any] = [
                "sandboxID": record.sandboxID,
                "pid": record.phase == .running ? record.initProcess?.pid ?? 0 : 0,
                "monitorPid": record.phase == .running ? record.monitor?.pid ?? 0 : 0,
                "bundle": record.bundle,
                "stopSignal": record.stopSignal,
            ]
            if let spec, let data = try? JSONEncoder().encode(spec), let object = try? JSONSerialization.jsonObject(with: data) {
                info["runtimeSpec"] = object
            }
            response.info["info"] = jsonText(info)
        }
        return response
    }

    func containerStatus(_ record: ContainerRecord, spec: Spec?) -> Runtime_V1_ContainerStatus {
        let config = record.config.message
        var status = Runtime_V1_ContainerStatus()
        status.id = record.id
        status.metadata = record.metadata
        status.state = record.criState
        status.createdAt = record.createdAt
        status.startedAt = record.startedAt
        status.finishedAt = record.finishedAt
        status.exitCode = record.exitCode
        status.image = imageSpec(record)
        status.imageRef = record.imageID
        status.imageID = record.imageID
        status.reason = record.reason
        status.message = record.message
        status.labels = config.labels
        status.annotations = config.annotations
        status.mounts = config.mounts
        status.logPath = record.logPath
        status.stopSignal = config.stopSignal
        if let resources = spec?.linux?.resources {
            status.resources.linux = criResources(resources, requested: config.linux.resources)
        }
        if let user = spec?.process?.user {
            var linux = Runtime_V1_LinuxContainerUser()
            linux.uid = Int64(user.uid)
            linux.gid = Int64(user.gid)
            linux.supplementalGroups = (user.additionalGids ?? []).map(Int64.init)
            status.user.linux = linux
        }
        return status
    }

    /// The limits in force, in CRI terms.
    func criResources(_ resources: Resources, requested: Runtime_V1_LinuxContainerResources) -> Runtime_V1_LinuxContainerResources {
        var linux = requested
        if let cpu = resources.cpu {
            if let shares = cpu.shares { linux.cpuShares = Int64(shares) }
            if let quota = cpu.quota { linux.cpuQuota = quota }
            if let period = cpu.period { linux.cpuPeriod = Int64(period) }
            if let cpus = cpu.cpus { linux.cpusetCpus = cpus }
            if let mems = cpu.mems { linux.cpusetMems = mems }
        }
        if let memory = resources.memory {
            if let limit = memory.limit { linux.memoryLimitInBytes = limit }
            if let swap = memory.swap { linux.memorySwapLimitInBytes = swap }
        }
        if let unified = resources.unified { linux.unified = unified }
        return linux
    }
}
