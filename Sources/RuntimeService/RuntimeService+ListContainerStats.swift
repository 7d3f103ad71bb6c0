import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListContainerStats`, filtered by id, sandbox and labels.
    public func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest) async -> Runtime_V1_ListContainerStatsResponse {
        let filter = request.filter
        let records = await store.allContainers()
            .filter { filter.id.isEmpty || $0.id.hasPrefix(filter.id) }
            .filter { filter.podSandboxID.isEmpty || $0.sandboxID.hasPrefix(filter.podSandboxID) }
            .filter { labelsMatch($0.config.message.labels, selector: filter.labelSelector) }
            .sorted { $0.createdAt > $1.createdAt }
        var response = Runtime_V1_ListContainerStatsResponse()
        for record in records { response.stats.append(await stats(of: record)) }
        return response
    }
}
