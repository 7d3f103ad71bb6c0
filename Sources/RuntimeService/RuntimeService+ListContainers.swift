import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListContainers`, filtered by id (or unique prefix), state, sandbox and labels.
    public func listContainers(_ request: Runtime_V1_ListContainersRequest) async -> Runtime_V1_ListContainersResponse {
        let filter = request.filter
        var response = Runtime_V1_ListContainersResponse()
        response.containers = await containers(
            id: filter.id, sandboxID: filter.podSandboxID, state: filter.hasState ? filter.state.state : nil,
            labels: filter.labelSelector
        ).map { record in
                var item = Runtime_V1_Container()
                item.id = record.id
                item.podSandboxID = record.sandboxID
                item.metadata = record.metadata
                item.image = imageSpec(record)
                item.imageRef = record.imageID
                item.imageID = record.imageID
                item.state = record.criState
                item.createdAt = record.createdAt
                item.labels = record.config.message.labels
                item.annotations = record.config.message.annotations
                return item
            }
        return response
    }

    /// Containers matching a CRI filter (an id or sandbox id may be a prefix), newest first.
    func containers(
        id: String, sandboxID: String, state: Runtime_V1_ContainerState? = nil, labels: [String: String]
    ) async -> [ContainerRecord] {
        await store.allContainers()
            .filter { id.isEmpty || $0.id.hasPrefix(id) }
            .filter { sandboxID.isEmpty || $0.sandboxID.hasPrefix(sandboxID) }
            .filter { state == nil || $0.criState == state }
            .filter { labelsMatch($0.config.message.labels, selector: labels) }
            .sorted { $0.createdAt > $1.createdAt }
    }

    func imageSpec(_ record: ContainerRecord) -> Runtime_V1_ImageSpec {
        var spec = record.config.message.image
        spec.image = record.imageName
        return spec
    }
}
