import BerthBase
import BerthConfig
import BerthServer
import CRI
import Foundation
import ImageService
import Logging
import RuntimeService
import SwiftProtobuf
import StreamProtocol

/// berthd: the services behind the socket. `run` serves until `shutdown` is called.
public final class Daemon: Sendable {
    public let config: Config
    let images: ImageService
    let runtime: RuntimeService
    let server: Server
    let logger: Logger

    /// Opens the stores (cleaning up what a crash left behind) and prepares the socket.
    public init(config: Config, logger: Logger) throws(BerthError) {
        self.config = config
        self.logger = logger
        try FileSystem.makeDirectory(config.rootDirectory, mode: 0o711)
        try FileSystem.makeDirectory(config.stateDirectory, mode: 0o711)
        images = try ImageService(root: config.rootDirectory, registry: config.registry, logger: logger)
        runtime = try RuntimeService(
            root: config.rootDirectory, state: config.stateDirectory, shimPath: Self.shimPath(config), cgroupRoot: config.cgroupRoot,
            network: config.network, images: images, logger: logger)
        var router = Router()
        let tokens = StreamTokens(timeout: .seconds(config.streamTokenTimeout))
        Self.registerRuntime(&router, runtime, tokens)
        Self.registerStreaming(&router, runtime, tokens)
        Self.registerImages(&router, images)
        server = Server(
            socketPath: config.socketPath, mode: config.socketMode, group: config.socketGroup,
            maxBodyBytes: config.maxRequestBytes, router: router, logger: logger
        )
    }

    /// The configured shim, or `berth-shim` beside this executable.
    static func shimPath(_ config: Config) -> String {
        if !config.shimPath.isEmpty { return config.shimPath }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/usr/local/bin/berthd"
        return (executable as NSString).deletingLastPathComponent + "/berth-shim"
    }

    /// Starts serving on the socket.
    public func start() async throws(BerthError) {
        // Containers hold their images' layers: recover them before collecting garbage.
        await runtime.recover()
        await images.collectGarbage()
        try await server.start()
        logger.info("berthd ready", metadata: ["socket": "\(config.socketPath)", "root": "\(config.rootDirectory)"])
    }

    /// Stops accepting requests, lets in-flight ones finish, and removes the socket.
    public func shutdown() async {
        logger.info("berthd shutting down")
        await server.shutdown()
    }

    private static func registerRuntime(_ router: inout Router, _ runtime: RuntimeService, _ tokens: StreamTokens) {
        var implemented: Set<String> = []
        func method<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
            _ name: String, _ body: @escaping @Sendable (Request) async throws -> Response
        ) {
            let path = "/runtime.v1.RuntimeService/\(name)"
            router.unary(path, body)
            implemented.insert(path)
        }
        method("Version") { (request: Runtime_V1_VersionRequest) in runtime.version(request) }
        method("Status") { (request: Runtime_V1_StatusRequest) in runtime.status(request) }
        method("RuntimeConfig") { (request: Runtime_V1_RuntimeConfigRequest) in runtime.runtimeConfig(request) }
        method("RunPodSandbox") { (request: Runtime_V1_RunPodSandboxRequest) in try await runtime.runPodSandbox(request) }
        method("StopPodSandbox") { (request: Runtime_V1_StopPodSandboxRequest) in try await runtime.stopPodSandbox(request) }
        method("RemovePodSandbox") { (request: Runtime_V1_RemovePodSandboxRequest) in try await runtime.removePodSandbox(request) }
        method("PodSandboxStatus") { (request: Runtime_V1_PodSandboxStatusRequest) in try await runtime.podSandboxStatus(request) }
        method("ListPodSandbox") { (request: Runtime_V1_ListPodSandboxRequest) in await runtime.listPodSandbox(request) }
        method("CreateContainer") { (request: Runtime_V1_CreateContainerRequest) in try await runtime.createContainer(request) }
        method("StartContainer") { (request: Runtime_V1_StartContainerRequest) in try await runtime.startContainer(request) }
        method("StopContainer") { (request: Runtime_V1_StopContainerRequest) in try await runtime.stopContainer(request) }
        method("RemoveContainer") { (request: Runtime_V1_RemoveContainerRequest) in try await runtime.removeContainer(request) }
        method("ListContainers") { (request: Runtime_V1_ListContainersRequest) in await runtime.listContainers(request) }
        method("ContainerStatus") { (request: Runtime_V1_ContainerStatusRequest) in try await runtime.containerStatus(request) }
        method("UpdateContainerResources") { (request: Runtime_V1_UpdateContainerResourcesRequest) in
            try await runtime.updateContainerResources(request)
        }
        method("ReopenContainerLog") { (request: Runtime_V1_ReopenContainerLogRequest) in try await runtime.reopenContainerLog(request) }
        method("ExecSync") { (request: Runtime_V1_ExecSyncRequest) in try await runtime.execSync(request) }
        method("Exec") { (request: Runtime_V1_ExecRequest) in
            try await runtime.checkExec(request)
            return Runtime_V1_ExecResponse.with { $0.url = tokens.mint(.exec(request)) }
        }
        method("Attach") { (request: Runtime_V1_AttachRequest) in
            try await runtime.checkAttach(request)
            return Runtime_V1_AttachResponse.with { $0.url = tokens.mint(.attach(request)) }
        }
        method("PortForward") { (request: Runtime_V1_PortForwardRequest) in
            try await runtime.checkPortForward(request)
            return Runtime_V1_PortForwardResponse.with { $0.url = tokens.mint(.portForward(request)) }
        }
        method("ContainerStats") { (request: Runtime_V1_ContainerStatsRequest) in try await runtime.containerStats(request) }
        method("ListContainerStats") { (request: Runtime_V1_ListContainerStatsRequest) in await runtime.listContainerStats(request) }
        method("PodSandboxStats") { (request: Runtime_V1_PodSandboxStatsRequest) in try await runtime.podSandboxStats(request) }
        method("ListPodSandboxStats") { (request: Runtime_V1_ListPodSandboxStatsRequest) in await runtime.listPodSandboxStats(request) }
        let events = "/runtime.v1.RuntimeService/GetContainerEvents"
        router.register(events) { request in
            let _: Runtime_V1_GetEventsRequest = try decodeMessage(request.body, path: events)
            return .stream(EventStream.lines(runtime.events.subscribe()))
        }
        implemented.insert(events)
        router.registerUnimplemented(CRIMethods.runtime, except: implemented)
    }

    /// `GET /stream/<token>` with a WebSocket upgrade runs the session the token was minted
    /// for; without one (or with an unknown, used or expired token) it is answered in plain HTTP.
    private static func registerStreaming(_ router: inout Router, _ runtime: RuntimeService, _ tokens: StreamTokens) {
        router.registerWebSocket(StreamTokens.pathPrefix) { uri, offered in
            let path = String(uri.prefix { $0 != "?" })
            guard let (request, chosen) = tokens.take(path: path, { request -> String? in
                switch request {
                case .exec, .attach: StreamProtocols.negotiate(offered, supported: StreamProtocols.channel)
                case .portForward: StreamProtocols.negotiate(offered, supported: [StreamProtocols.portForward])
                }
            }) else { return nil }
            return WebSocketAcceptance(subprotocol: chosen) { connection, messages in
                let stream = StreamConnection(messages: messages, send: { await connection.send($0) })
                switch request {
                case .exec(let exec): await runtime.streamExec(exec, stream)
                case .attach(let attach): await runtime.streamAttach(attach, stream)
                case .portForward(let forward):
                    var ports = forward.port.compactMap { UInt16(exactly: $0) }
                    if ports.isEmpty { ports = queryPorts(uri) }
                    await runtime.streamPortForward(podSandboxID: forward.podSandboxID, ports: ports, stream)
                }
            }
        }
        router.registerPrefix(StreamTokens.pathPrefix, methods: ["GET", "POST"]) { request in
            if request.header("upgrade")?.lowercased() == "websocket" {
                throw BerthError(.notFound, "stream \(request.path.dropFirst(StreamTokens.pathPrefix.count)): unknown, already used or expired, or no supported subprotocol offered (\(StreamProtocols.channel.joined(separator: ", ")), \(StreamProtocols.portForward))")
            }
            throw BerthError(.invalidArgument, "\(request.path) needs a WebSocket upgrade")
        }
    }

    private static func registerImages(_ router: inout Router, _ images: ImageService) {
        router.unary("/runtime.v1.ImageService/PullImage") { (request: Runtime_V1_PullImageRequest) in
            try await images.pullImage(request)
        }
        router.unary("/runtime.v1.ImageService/ImageStatus") { (request: Runtime_V1_ImageStatusRequest) in
            try await images.imageStatus(request)
        }
        router.unary("/runtime.v1.ImageService/ListImages") { (request: Runtime_V1_ListImagesRequest) in
            await images.listImages(request)
        }
        router.unary("/runtime.v1.ImageService/RemoveImage") { (request: Runtime_V1_RemoveImageRequest) in
            try await images.removeImage(request)
        }
        router.unary("/runtime.v1.ImageService/ImageFsInfo") { (request: Runtime_V1_ImageFsInfoRequest) in
            try await images.imageFsInfo(request)
        }
        router.registerUnimplemented(CRIMethods.image, except: [
            "/runtime.v1.ImageService/PullImage", "/runtime.v1.ImageService/ImageStatus", "/runtime.v1.ImageService/ListImages",
            "/runtime.v1.ImageService/RemoveImage", "/runtime.v1.ImageService/ImageFsInfo",
        ])
        router.register("/berth.v1.ImageService/PullImageProgress") { request in
            let pull: Runtime_V1_PullImageRequest = try decodeMessage(request.body, path: "/berth.v1.ImageService/PullImageProgress")
            return .stream(ProgressStream.run { sink in
                let response = try await images.pullImage(pull, progress: sink)
                return ["imageRef": response.imageRef]
            })
        }
        router.register("/berth.v1.ImageService/ImportImage") { request in
            let body = try decodeJSON(ImportRequest.self, request.body, path: "berth.v1.ImageService/ImportImage")
            let records = try await images.importImage(path: body.path, name: body.name?.isEmpty == false ? body.name : nil)
            let reply = ImportResponse(images: records.map { .init(id: $0.id.description, repoTags: $0.repoTags) })
            return .json(status: 200, body: try encodeJSON(reply))
        }
    }
}

/// Body of the Berth extension `ImportImage`.
struct ImportRequest: Codable {
    var path: String
    var name: String?
}

struct ImportResponse: Codable {
    struct Image: Codable {
        var id: String
        var repoTags: [String]
    }

    var images: [Image]
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ body: [UInt8], path: String) throws(BerthError) -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(body))
    } catch {
        throw BerthError(.invalidArgument, "\(path): invalid request body: \(error)")
    }
}

func encodeJSON(_ value: some Encodable) throws(BerthError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    do {
        return Array(try encoder.encode(value))
    } catch {
        throw BerthError(.internal, "encode reply: \(error)")
    }
}

/// `port=N` values of a URI's query, as kubelet's port-forward URLs carry them.
func queryPorts(_ uri: String) -> [UInt16] {
    guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return [] }
    return query.split(separator: "&").compactMap { pair in
        let parts = pair.split(separator: "=", maxSplits: 1)
        return parts.count == 2 && parts[0] == "port" ? UInt16(parts[1]) : nil
    }
}
