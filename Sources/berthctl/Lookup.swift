import BerthBase
import CRI

/// The look-ups several verbs share: ids from prefixes, and images pulled when missing.
extension Session {
    /// Every sandbox the runtime knows.
    func listPods(_ filter: Runtime_V1_PodSandboxFilter? = nil) async throws(BerthError) -> [Runtime_V1_PodSandbox] {
        var request = Runtime_V1_ListPodSandboxRequest()
        if let filter { request.filter = filter }
        return try await call(Method.runtime("ListPodSandbox"), request, as: Runtime_V1_ListPodSandboxResponse.self).items
    }

    /// Every container the runtime knows, in any state.
    func listContainers(_ filter: Runtime_V1_ContainerFilter? = nil) async throws(BerthError) -> [Runtime_V1_Container] {
        var request = Runtime_V1_ListContainersRequest()
        if let filter { request.filter = filter }
        return try await call(
            Method.runtime("ListContainers"), request, as: Runtime_V1_ListContainersResponse.self
        ).containers
    }

    /// The full ids of the sandboxes `prefixes` name, in the same order.
    func resolvePods(_ prefixes: [String]) async throws(BerthError) -> [String] {
        guard !prefixes.isEmpty else { return [] }
        let ids = try await listPods().map(\.id)
        var resolved: [String] = []
        for prefix in prefixes {
            resolved.append(try IDPrefix.resolve(prefix, among: ids, kind: "pod sandbox"))
        }
        return resolved
    }

    /// The full ids of the containers `prefixes` name, in the same order.
    func resolveContainers(_ prefixes: [String]) async throws(BerthError) -> [String] {
        guard !prefixes.isEmpty else { return [] }
        let ids = try await listContainers().map(\.id)
        var resolved: [String] = []
        for prefix in prefixes {
            resolved.append(try IDPrefix.resolve(prefix, among: ids, kind: "container"))
        }
        return resolved
    }

    func resolveContainer(_ prefix: String) async throws(BerthError) -> String {
        try await resolveContainers([prefix])[0]
    }

    func containerStatus(_ id: String, verbose: Bool = false) async throws(BerthError) -> Runtime_V1_ContainerStatusResponse {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        request.verbose = verbose
        return try await call(Method.runtime("ContainerStatus"), request, as: Runtime_V1_ContainerStatusResponse.self)
    }

    func podStatus(_ id: String, verbose: Bool = false) async throws(BerthError) -> Runtime_V1_PodSandboxStatusResponse {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        request.verbose = verbose
        return try await call(Method.runtime("PodSandboxStatus"), request, as: Runtime_V1_PodSandboxStatusResponse.self)
    }

    /// Pulls `image` unless the runtime has it already, as `crictl create` does by default.
    func ensureImage(
        _ image: Runtime_V1_ImageSpec, sandbox: Runtime_V1_PodSandboxConfig, auth: Runtime_V1_AuthConfig?,
        pullTimeout: Duration?
    ) async throws(BerthError) {
        guard !image.image.isEmpty else {
            throw BerthError(.invalidArgument, "the container config names no image (image.image)")
        }
        var status = Runtime_V1_ImageStatusRequest()
        status.image = image
        let present = try await call(Method.image("ImageStatus"), status, as: Runtime_V1_ImageStatusResponse.self)
        guard !present.hasImage || present.image.id.isEmpty else { return }
        var pull = Runtime_V1_PullImageRequest()
        pull.image = image
        pull.sandboxConfig = sandbox
        if let auth { pull.auth = auth }
        _ = try await call(
            Method.image("PullImage"), pull, as: Runtime_V1_PullImageResponse.self, timeout: .some(pullTimeout))
    }
}
