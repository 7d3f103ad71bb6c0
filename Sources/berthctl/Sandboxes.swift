import ArgumentParser
import BerthBase
import CRI

/// `berthctl runp POD_CONFIG`: runs a pod sandbox and prints its id.
struct RunPod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runp", abstract: "Run a new pod.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Pod sandbox config, JSON or YAML.")
    var podConfig: String

    @Option(help: "Runtime handler to run the pod with (default: the runtime's own).")
    var runtime = ""

    func run() async throws {
        let config = try ConfigFile.load(podConfig, as: Runtime_V1_PodSandboxConfig.self, kind: "pod config")
        let id = try await root.withSession { session in
            try await session.runPod(config, runtimeHandler: runtime)
        }
        print(id)
    }
}

extension Session {
    func runPod(_ config: Runtime_V1_PodSandboxConfig, runtimeHandler: String) async throws(BerthError) -> String {
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        request.runtimeHandler = runtimeHandler
        return try await call(
            Method.runtime("RunPodSandbox"), request, as: Runtime_V1_RunPodSandboxResponse.self
        ).podSandboxID
    }

    func stopPod(_ id: String) async throws(BerthError) {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = id
        _ = try await call(Method.runtime("StopPodSandbox"), request, as: Runtime_V1_StopPodSandboxResponse.self)
    }
}

/// `berthctl stopp POD...`: stops pod sandboxes.
struct StopPod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stopp", abstract: "Stop one or more running pods.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Pod sandbox ids or unique prefixes of them.")
    var pods: [String]

    func run() async throws {
        try await root.withSession { session in
            let ids = try await session.resolvePods(pods)
            try await forEachReportingFailures(ids) { id throws(BerthError) in
                try await session.stopPod(id)
                print("Stopped sandbox \(id)")
            }
        }
    }
}

/// `berthctl rmp POD...`: removes pod sandboxes; a ready one only with `--force`, which stops it first.
struct RemovePod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmp", abstract: "Remove one or more pods.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Pod sandbox ids or unique prefixes of them.")
    var pods: [String] = []

    @Flag(name: .shortAndLong, help: "Remove all pods.")
    var all = false

    @Flag(name: .shortAndLong, help: "Stop pods that are still ready before removing them.")
    var force = false

    func validate() throws {
        if pods.isEmpty && !all { throw ValidationError("name at least one pod, or use --all") }
        if !pods.isEmpty && all { throw ValidationError("pod ids cannot be combined with --all") }
    }

    func run() async throws {
        try await root.withSession { session in
            let listed = try await session.listPods()
            let ids = all ? listed.map(\.id) : try pods.map { prefix throws(BerthError) in
                try IDPrefix.resolve(prefix, among: listed.map(\.id), kind: "pod sandbox")
            }
            let ready = Set(listed.filter { $0.state == .sandboxReady }.map(\.id))
            try await forEachReportingFailures(ids) { id throws(BerthError) in
                if ready.contains(id) {
                    guard force else {
                        throw BerthError(
                            .failedPrecondition, "pod sandbox \(id) is ready; stop it first (stopp) or use rmp --force")
                    }
                    try await session.stopPod(id)
                }
                var request = Runtime_V1_RemovePodSandboxRequest()
                request.podSandboxID = id
                _ = try await session.call(
                    Method.runtime("RemovePodSandbox"), request, as: Runtime_V1_RemovePodSandboxResponse.self)
                print("Removed sandbox \(id)")
            }
        }
    }
}
