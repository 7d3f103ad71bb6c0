import BerthBase
import CRI
import ContainerPolicy
import Foundation
import NativeRuntime
import RuntimeSpec
import RuntimeState

extension RuntimeService {
    /// CRI `CreateContainer`: the complete OCI Spec (saved as the bundle's `config.json`),
    /// the compiled seccomp filter, and the container's writable layer. No process runs yet;
    /// `StartContainer` starts it.
    public func createContainer(_ request: Runtime_V1_CreateContainerRequest) async throws(BerthError) -> Runtime_V1_CreateContainerResponse {
        let sandbox = try await store.findSandbox(request.podSandboxID)
        let config = request.config
        guard sandbox.phase == .ready, let infra = sandbox.infra, infra.isAlive else {
            throw BerthError(.failedPrecondition, "pod sandbox \(sandbox.id) is not ready")
        }
        let name = config.metadata.name
        guard !name.isEmpty else { throw BerthError(.invalidArgument, "container config: metadata.name is empty") }
        guard !name.contains("/"), !name.contains("\0") else {
            throw BerthError(.invalidArgument, "container name \"\(name)\": must not contain '/' or NUL")
        }
        let imageName = config.image.image
        guard !imageName.isEmpty else { throw BerthError(.invalidArgument, "container config: image.image is empty") }
        guard let image = await images.image(imageName) else {
            throw BerthError(.notFound, "image \"\(imageName)\" not found; pull it first")
        }
        let imageConfig = try images.config(of: image)
        let id = Identifiers.make()
        let directory = paths.containerDirectory(id)
        let bundle = paths.bundle(id)
        let logPath = Self.logPath(directory: sandbox.config.message.logDirectory, path: config.logPath)
        var record = ContainerRecord(
            id: id, sandboxID: sandbox.id, config: config, imageID: image.id.description, imageName: imageName,
            chainIDs: image.chainIDs.map(\.description), createdAt: nowNanos(), logPath: logPath,
            stopSignal: "SIGTERM", directory: directory, bundle: bundle)
        record.cgroupPath = "\(sandbox.cgroupPath)/\(id)"
        try await store.add(record)
        await images.hold(chainIDs: record.chainIDs)
        var log = logger
        log[metadataKey: "container"] = "\(id)"

        do {
            try FileSystem.makeDirectory(directory, mode: 0o711)
            try FileSystem.makeDirectory("\(directory)/upper", mode: 0o755)
            try FileSystem.makeDirectory("\(directory)/work", mode: 0o700)
            try FileSystem.makeDirectory("\(bundle)/rootfs", mode: 0o755)
            let layers = images.layerDirectories(of: image)
            let builder = ContainerSpecBuilder(
                config: config, sandboxConfig: sandbox.config.message, image: imageConfig,
                etcPasswd: ImageFiles.read("etc/passwd", layers: layers).map { String(decoding: $0, as: UTF8.self) },
                etcGroup: ImageFiles.read("etc/group", layers: layers).map { String(decoding: $0, as: UTF8.self) },
                sandbox: sandboxContext(sandbox, infra: infra, privileged: config.linux.securityContext.privileged),
                container: ContainerContext(
                    containerID: id, rootfsPath: "\(bundle)/rootfs", cgroupsPath: record.cgroupPath, imageName: imageName,
                    volumesDirectory: "\(directory)/volumes",
                    targetPIDNamespacePath: try await targetPIDNamespace(config.linux.securityContext.namespaceOptions)))
            var built = try builder.build()
            Self.clampCapabilities(&built.spec, to: boundingCapabilities)
            for volume in built.imageVolumes { try FileSystem.makeDirectory(volume.hostPath, mode: 0o755) }
            try await mountImages(built.imageMounts, into: &built.spec, directory: directory)
            let filter = try compileSeccomp(&built.spec, choice: built.seccomp)
            if let filter { try FileSystem.atomicWrite(filter, to: "\(bundle)/seccomp.bpf", mode: 0o600, durable: false) }
            try FileSystem.atomicWrite(try encodeSpec(built.spec), to: "\(bundle)/config.json", mode: 0o600, durable: false)
            try await store.updateContainer(id) {
                $0.phase = .created
                $0.stopSignal = built.stopSignal
            }
            log.info("container created", metadata: ["name": "\(name)", "image": "\(imageName)"])
            await emit(.containerCreatedEvent, containerID: id, sandboxID: sandbox.id)
        } catch {
            log.warning("container create failed; undoing", metadata: ["error": "\(error)"])
            await teardownContainer(id)
            throw BerthError.wrapping(error, context: "create container \(name)")
        }
        var response = Runtime_V1_CreateContainerResponse()
        response.containerID = id
        return response
    }

    /// The CRI log path: the pod's log directory joined with the container's relative path.
    /// A relative path in a pod without a log directory names no file (the output is not
    /// kept), as with containerd: it must never land relative to berthd's working directory.
    static func logPath(directory: String, path: String) -> String {
        guard !path.isEmpty else { return "" }
        if path.hasPrefix("/") { return path }
        guard !directory.isEmpty else { return "" }
        return directory.hasSuffix("/") ? directory + path : "\(directory)/\(path)"
    }

    func encodeSpec(_ spec: Spec) throws(BerthError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(spec))
        } catch {
            throw BerthError(.internal, "encode config.json: \(error)")
        }
    }

    func loadSpec(bundle: String) throws(BerthError) -> Spec {
        guard let bytes = try FileSystem.read("\(bundle)/config.json") else {
            throw BerthError(.notFound, "bundle \(bundle): config.json is missing")
        }
        do {
            return try JSONDecoder().decode(Spec.self, from: Data(bytes))
        } catch {
            throw BerthError(.dataLoss, "bundle \(bundle): config.json does not decode: \(error)")
        }
    }
}
