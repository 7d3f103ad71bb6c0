import BerthBase
import CRI
import RuntimeState

extension RuntimeService {
    /// CRI `ListContainers`, filtered by id (or unique prefix), state, sandbox and labels.
    public func listContainers(_ request: Runtime_V1_ListContainersRequest) async -> Runtime_V1_ListContainersResponse {
        let filter = request.filter
        var response = Runtime_V1_ListContainersResponse()
        response.containers = await store.allContainers()
            .filter { filter.id.isEmpty || $0.id.hasPrefix(filter.id) }
            .filter { filter.podSandboxID.isEmpty || $0.sandboxID.hasPrefix(filter.podSandboxID) }
            .filter { !filter.hasState || $0.criState == filter.state.state }
            .filter { labelsMatch($0.config.message.labels, selector: filter.labelSelector) }
            .sorted { $0.createdAt > $1.createdAt }
            .map { record in
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

    func imageSpec(_ record: ContainerRecord) -> Runtime_V1_ImageSpec {
        var spec = record.config.message.image
        spec.image = record.imageName
        return spec
    }
}
