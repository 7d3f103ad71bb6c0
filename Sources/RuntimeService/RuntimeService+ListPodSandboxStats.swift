import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListPodSandboxStats`, filtered by id and labels.
    public func listPodSandboxStats(_ request: Runtime_V1_ListPodSandboxStatsRequest) async -> Runtime_V1_ListPodSandboxStatsResponse {
        let filter = request.filter
        let records = await store.allSandboxes()
            .filter { filter.id.isEmpty || $0.id.hasPrefix(filter.id) }
            .filter { labelsMatch($0.config.message.labels, selector: filter.labelSelector) }
            .sorted { $0.createdAt > $1.createdAt }
        var response = Runtime_V1_ListPodSandboxStatsResponse()
        for record in records { response.stats.append(await stats(of: record)) }
        return response
    }
}
