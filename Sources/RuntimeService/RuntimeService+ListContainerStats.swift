import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListContainerStats`, filtered by id, sandbox and labels.
    public func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest) async -> Runtime_V1_ListContainerStatsResponse {
        let filter = request.filter
        let records = await containers(id: filter.id, sandboxID: filter.podSandboxID, labels: filter.labelSelector)
        var response = Runtime_V1_ListContainerStatsResponse()
        for record in records { response.stats.append(await stats(of: record)) }
        return response
    }
}
