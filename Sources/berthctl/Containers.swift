import ArgumentParser
import BerthBase
import BerthClient
import CRI

/// Where `create` and `run` get registry credentials and how long they let a pull take.
struct PullOptions: ParsableArguments {
    @Flag(help: "Do not pull the image when the runtime does not have it.")
    var noPull = false

    @Option(help: "Registry credentials as USERNAME:PASSWORD.")
    var creds: String?

    @Option(help: "Registry credentials, base64 encoded as docker keeps them.")
    var auth: String?

    @Option(help: "Registry user name.")
    var username: String?

    @Option(help: "Registry password (with --username).")
    var password: String?

    @Option(help: "Deadline of the pull, e.g. 5m (0 for none).")
    var pullTimeout = Timeout(duration: nil)

    func validate() throws {
        _ = try authConfig()
    }

    func authConfig() throws(ValidationError) -> Runtime_V1_AuthConfig? {
        try Credentials.authConfig(creds: creds, auth: auth, username: username, password: password)
    }

    /// Pulls the container's image unless told not to or the runtime has it.
    func ensureImage(
        for config: Runtime_V1_ContainerConfig, sandbox: Runtime_V1_PodSandboxConfig, session: Session
    ) async throws {
        guard !noPull else { return }
        try await session.ensureImage(
            config.image, sandbox: sandbox, auth: try authConfig(), pullTimeout: pullTimeout.duration)
    }
}

extension Session {
    func createContainer(
        pod: String, config: Runtime_V1_ContainerConfig, sandbox: Runtime_V1_PodSandboxConfig
    ) async throws(BerthError) -> String {
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = pod
        request.config = config
        request.sandboxConfig = sandbox
        return try await call(
            Method.runtime("CreateContainer"), request, as: Runtime_V1_CreateContainerResponse.self
        ).containerID
    }

    func startContainer(_ id: String) async throws(BerthError) {
        var request = Runtime_V1_StartContainerRequest()
        request.containerID = id
        _ = try await call(Method.runtime("StartContainer"), request, as: Runtime_V1_StartContainerResponse.self)
    }

    /// Stops a container; the call may take the grace period, so its deadline grows by it.
    func stopContainer(_ id: String, gracePeriod: Int64) async throws(BerthError) {
        var request = Runtime_V1_StopContainerRequest()
        request.containerID = id
        request.timeout = gracePeriod
        _ = try await call(
            Method.runtime("StopContainer"), request, as: Runtime_V1_StopContainerResponse.self,
            timeout: .some(BerthClient.deadline(waitingUpTo: gracePeriod, plus: timeout)))
    }
}

/// `berthctl create POD CONTAINER_CONFIG POD_CONFIG`: creates a container in a pod, pulling
/// its image first when missing, and prints its id.
struct CreateContainer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a new container in a pod.")

    @ParentCommand var root: Berthctl

    @Argument(help: "The pod sandbox id, or a unique prefix of it.")
    var pod: String

    @Argument(help: "Container config, JSON or YAML.")
    var containerConfig: String

    @Argument(help: "The pod sandbox config the pod was run with, JSON or YAML.")
    var podConfig: String

    @OptionGroup var pull: PullOptions

    func run() async throws {
        let container = try ConfigFile.load(containerConfig, as: Runtime_V1_ContainerConfig.self, kind: "container config")
        let sandbox = try ConfigFile.load(podConfig, as: Runtime_V1_PodSandboxConfig.self, kind: "pod config")
        let id = try await root.withSession { session in
            let podID = try await session.resolvePods([pod])[0]
            try await pull.ensureImage(for: container, sandbox: sandbox, session: session)
            return try await session.createContainer(pod: podID, config: container, sandbox: sandbox)
        }
        print(id)
    }
}

/// `berthctl start CONTAINER...`: starts created containers.
struct StartContainer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more created containers.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Container ids or unique prefixes of them.")
    var containers: [String]

    func run() async throws {
        try await root.withSession { session in
            let ids = try await session.resolveContainers(containers)
            try await forEachReportingFailures(ids) { id throws(BerthError) in
                try await session.startContainer(id)
                print(id)
            }
        }
    }
}

/// `berthctl stop [-t SECONDS] CONTAINER...`: stops running containers.
struct StopContainer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop one or more running containers.")

    @ParentCommand var root: Berthctl

    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing a container that is asked to stop.")
    var timeout: Int64 = 0

    // Options come before the ids, as with crictl; this also keeps `-t` from being taken for
    // berthctl's own call deadline.
    @Argument(parsing: .captureForPassthrough, help: "Container ids or unique prefixes of them.")
    var containers: [String] = []

    func validate() throws {
        if containers.isEmpty { throw ValidationError("name at least one container") }
        if timeout < 0 { throw ValidationError("--timeout must not be negative") }
    }

    func run() async throws {
        try await root.withSession { session in
            let ids = try await session.resolveContainers(containers)
            try await forEachReportingFailures(ids) { id throws(BerthError) in
                try await session.stopContainer(id, gracePeriod: timeout)
                print(id)
            }
        }
    }
}

/// `berthctl rm CONTAINER...`: removes containers; a running one only with `--force`, which
/// stops it first.
struct RemoveContainer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Container ids or unique prefixes of them.")
    var containers: [String] = []

    @Flag(name: .shortAndLong, help: "Remove all containers.")
    var all = false

    @Flag(name: .shortAndLong, help: "Stop running containers before removing them.")
    var force = false

    func validate() throws {
        if containers.isEmpty && !all { throw ValidationError("name at least one container, or use --all") }
        if !containers.isEmpty && all { throw ValidationError("container ids cannot be combined with --all") }
    }

    func run() async throws {
        try await root.withSession { session in
            let listed = try await session.listContainers()
            let ids = all ? listed.map(\.id) : try containers.map { prefix throws(BerthError) in
                try IDPrefix.resolve(prefix, among: listed.map(\.id), kind: "container")
            }
            let running = Set(listed.filter { $0.state == .containerRunning }.map(\.id))
            try await forEachReportingFailures(ids) { id throws(BerthError) in
                if running.contains(id) {
                    guard force else {
                        throw BerthError(
                            .failedPrecondition, "container \(id) is running; stop it first (stop) or use rm --force")
                    }
                    try await session.stopContainer(id, gracePeriod: 0)
                }
                var request = Runtime_V1_RemoveContainerRequest()
                request.containerID = id
                _ = try await session.call(
                    Method.runtime("RemoveContainer"), request, as: Runtime_V1_RemoveContainerResponse.self)
                print(id)
            }
        }
    }
}
