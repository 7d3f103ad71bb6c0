import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListPodSandbox`, filtered by id (or unique prefix), state and label selector.
    public func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest) async -> Runtime_V1_ListPodSandboxResponse {
        let filter = request.filter
        var response = Runtime_V1_ListPodSandboxResponse()
        response.items = await sandboxes(
            id: filter.id, state: filter.hasState ? filter.state.state : nil, labels: filter.labelSelector
        ).map { record in
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

    /// Sandboxes matching a CRI filter (the id may be a prefix), newest first.
    func sandboxes(id: String, state: Runtime_V1_PodSandboxState? = nil, labels: [String: String]) async -> [SandboxRecord] {
        await store.allSandboxes()
            .filter { id.isEmpty || $0.id.hasPrefix(id) }
            .filter { state == nil || $0.criState == state }
            .filter { labelsMatch($0.config.message.labels, selector: labels) }
            .sorted { $0.createdAt > $1.createdAt }
    }
}
