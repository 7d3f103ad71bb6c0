import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListPodSandboxStats`, filtered by id and labels.
    public func listPodSandboxStats(_ request: Runtime_V1_ListPodSandboxStatsRequest) async -> Runtime_V1_ListPodSandboxStatsResponse {
        let filter = request.filter
        let records = await sandboxes(id: filter.id, labels: filter.labelSelector)
        var response = Runtime_V1_ListPodSandboxStatsResponse()
        for record in records { response.stats.append(await stats(of: record)) }
        return response
    }
}
