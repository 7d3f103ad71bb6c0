import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListPodSandbox`, filtered by id (or unique prefix), state and label selector.
    public func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest) async -> Runtime_V1_ListPodSandboxResponse {
        let filter = request.filter
        var response = Runtime_V1_ListPodSandboxResponse()
        response.items = await store.allSandboxes()
            .filter { filter.id.isEmpty || $0.id.hasPrefix(filter.id) }
            .filter { !filter.hasState || $0.criState == filter.state.state }
            .filter { labelsMatch($0.config.message.labels, selector: filter.labelSelector) }
            .sorted { $0.createdAt > $1.createdAt }
            .map { record in
                var item = Runtime_V1_PodSandbox()
                item.id = record.id
                item.metadata = record.metadata
                item.state = record.criState
                item.createdAt = record.createdAt
                item.labels = record.config.message.labels
                item.annotations = record.config.message.annotations
                item.runtimeHandler = record.runtimeHandler
                return item
            }
        return response
    }
}
