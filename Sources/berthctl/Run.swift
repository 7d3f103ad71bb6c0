import ArgumentParser
import BerthBase
import CRI

/// `berthctl run CONTAINER_CONFIG POD_CONFIG`: runs a pod, creates the container in it
/// (pulling its image first when missing) and starts it, printing the container's id.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a new container inside a new pod.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Container config, JSON or YAML.")
    var containerConfig: String

    @Argument(help: "Pod sandbox config, JSON or YAML.")
    var podConfig: String

    @Option(help: "Runtime handler to run the pod with (default: the runtime's own).")
    var runtime = ""

    @OptionGroup var pull: PullOptions

    func run() async throws {
        let container = try ConfigFile.load(containerConfig, as: Runtime_V1_ContainerConfig.self, kind: "container config")
        let sandbox = try ConfigFile.load(podConfig, as: Runtime_V1_PodSandboxConfig.self, kind: "pod config")
        let id = try await root.withSession { session in
            // Pull before the pod exists, so a missing image leaves nothing behind.
            try await pull.ensureImage(for: container, sandbox: sandbox, session: session)
            let pod = try await session.runPod(sandbox, runtimeHandler: runtime)
            do throws(BerthError) {
                let id = try await session.createContainer(pod: pod, config: container, sandbox: sandbox)
                try await session.startContainer(id)
                return id
            } catch {
                // The pod stays, as with crictl; say which it is so it can be removed.
                throw BerthError(error.code, "\(error.message) (pod sandbox \(pod) is left running; remove it with rmp -f)")
            }
        }
        print(id)
    }
}
