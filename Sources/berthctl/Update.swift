import ArgumentParser
import BerthBase
import CRI

/// `berthctl update --memory … CONTAINER...`: changes containers' Linux resources. Only the
/// values given are sent; a field left at 0 or empty means "leave as it is" to the runtime.
struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Update one or more running containers' resources.")

    @ParentCommand var root: Berthctl

    @Option(help: "CPU CFS period in microseconds.")
    var cpuPeriod: Int64 = 0

    @Option(help: "CPU CFS quota in microseconds.")
    var cpuQuota: Int64 = 0

    @Option(help: "CPU shares (relative weight).")
    var cpuShare: Int64 = 0

    @Option(help: "CPUs the containers may run on, e.g. 0-3 or 0,1.")
    var cpusetCpus = ""

    @Option(help: "Memory nodes the containers may use, e.g. 0-1.")
    var cpusetMems = ""

    @Option(help: "Memory limit in bytes.")
    var memory: Int64 = 0

    @Argument(help: "Container ids or unique prefixes of them.")
    var containers: [String]

    func validate() throws {
        for (name, value) in [("--cpu-period", cpuPeriod), ("--cpu-quota", cpuQuota), ("--cpu-share", cpuShare), ("--memory", memory)]
        where value < 0 {
            throw ValidationError("\(name) must not be negative")
        }
    }

    var resources: Runtime_V1_LinuxContainerResources {
        var resources = Runtime_V1_LinuxContainerResources()
        resources.cpuPeriod = cpuPeriod
        resources.cpuQuota = cpuQuota
        resources.cpuShares = cpuShare
        resources.cpusetCpus = cpusetCpus
        resources.cpusetMems = cpusetMems
        resources.memoryLimitInBytes = memory
        return resources
    }

    func run() async throws {
        let resources = self.resources
        try await root.withSession { session in
            let ids = try await session.resolveContainers(containers)
            try await forEachReportingFailures(ids) { id throws(BerthError) in
                var request = Runtime_V1_UpdateContainerResourcesRequest()
                request.containerID = id
                request.linux = resources
                _ = try await session.call(
                    Method.runtime("UpdateContainerResources"), request,
                    as: Runtime_V1_UpdateContainerResourcesResponse.self)
                print(id)
            }
        }
    }
}
