import BerthBase
import CRI
import ContainerPolicy
import NativeRuntime
import RuntimeSpec
import RuntimeState
import ShimPlan

extension RuntimeService {
    /// CRI `StartContainer`: joins the container's cgroup, and has `berth-shim` build the
    /// root, apply the security settings and exec the process, staying as its monitor.
    /// A start that fails leaves the container EXITED with reason `StartError`, as containerd does.
    public func startContainer(_ request: Runtime_V1_StartContainerRequest) async throws(BerthError) -> Runtime_V1_StartContainerResponse {
        let found = try await store.findContainer(request.containerID)
        try await withKey(found.id) { () async throws(BerthError) in
            guard let record = await store.container(found.id) else {
                throw BerthError(.notFound, "container \(found.id) not found")
            }
            guard record.phase == .created else {
                throw BerthError(.failedPrecondition, "container \(record.id) is \(record.phase.rawValue), not created")
            }
            do throws(BerthError) {
                try await start(record)
            } catch {
                let message = error.message
                _ = try? await store.updateContainer(record.id) {
                    $0.phase = .exited
                    $0.exitCode = 128
                    $0.reason = "StartError"
                    $0.message = message
                    $0.finishedAt = nowNanos()
                }
                await removeCgroup(containerCgroupPath(record))
                throw BerthError(error.code, "start container \(record.id): \(error.message)")
            }
        }
        return .init()
    }

    private func start(_ record: ContainerRecord) async throws(BerthError) {
        guard let sandbox = await store.sandbox(record.sandboxID), sandbox.phase == .ready,
              let infra = sandbox.infra, infra.isAlive else {
            throw BerthError(.failedPrecondition, "pod sandbox \(record.sandboxID) is not ready")
        }
        guard let image = await images.image(record.imageID) else {
            throw BerthError(.notFound, "image \(record.imageID) is gone")
        }
        let spec = try loadSpec(bundle: record.bundle)
        let snapshot = try images.snapshot(for: image, upperDir: "\(record.directory)/upper", workDir: "\(record.directory)/work")
        let filter = try FileSystem.read("\(record.bundle)/seccomp.bpf")
        if !record.logPath.isEmpty {
            try FileSystem.makeDirectory(String(record.logPath[..<(record.logPath.lastIndex(of: "/") ?? record.logPath.startIndex)]), mode: 0o755)
        }
        _ = try createCgroup(containerCgroupPath(record))
        if let resources = spec.linux?.resources { try applyResources(resources, to: containerCgroupPath(record)) }

        guard let overlay = snapshot.mounts.first else { throw BerthError(.internal, "image \(image.id): no root mount") }
        let inputs = PlanInputs(
            mode: .run, rootOverlayData: overlay.optionString, rootDirectory: snapshot.workingDirectory,
            cgroupRoot: try requireCgroupMount().path, logPath: record.logPath.isEmpty ? nil : record.logPath,
            exitFile: "\(record.bundle)/exit", stateFile: "\(record.bundle)/shim.state", seccompFilter: filter,
            stdin: record.config.message.stdin)
        var plan = try ShimPlan(spec: spec, inputs: inputs, isFile: FileSystem.isRegularFile)
        plan.attachSocket = "\(record.bundle)/attach.sock"
        plan.stdinOnce = record.config.message.stdin && record.config.message.stdinOnce
        try FileSystem.removeTree("\(record.bundle)/exit")
        try await store.updateContainer(record.id) { $0.phase = .starting }
        let report = try await launcher.start(plan, planFile: "\(record.bundle)/plan")
        let pids = report.pids
        guard pids.count == 2, let monitor = ProcessIdentity.of(pid: pids[1]) else {
            throw BerthError(.internal, "container monitor \(pids) exited right after the start")
        }
        let initProcess = ProcessIdentity.of(pid: pids[0])
        try await store.updateContainer(record.id) {
            $0.phase = .running
            $0.initProcess = initProcess ?? ProcessIdentity(pid: pids[0], startTime: 0)
            $0.monitor = monitor
            $0.startedAt = nowNanos()
        }
        watchExit(of: record.id, monitor: monitor)
        await emit(.containerStartedEvent, containerID: record.id, sandboxID: record.sandboxID)
        logger.info("container started", metadata: ["container": "\(record.id)", "pid": "\(pids[0])"])
    }

    /// Learns the container's exit from its monitor: when the monitor is gone, its exit file
    /// says how the container ended.
    func watchExit(of id: String, monitor: ProcessIdentity) {
        exits.watch(monitor) { [self] in
            Task { await self.recordExit(id) }
        }
    }

    func recordExit(_ id: String) async {
        guard let record = await store.container(id), record.phase == .running || record.phase == .starting else { return }
        let exit = (try? ExitRecord.read("\(record.bundle)/exit")) ?? nil
        do {
            try await store.updateContainer(id) {
                $0.phase = .exited
                if let exit {
                    $0.exitCode = exit.code
                    $0.finishedAt = exit.finishedNanos
                    if exit.startedNanos > 0 { $0.startedAt = exit.startedNanos }
                    $0.reason = exit.oomKilled ? "OOMKilled" : exit.code == 0 ? "Completed" : "Error"
                } else {
                    // The monitor died without recording an exit (killed by hand).
                    $0.exitCode = 255
                    $0.finishedAt = nowNanos()
                    $0.reason = "Unknown"
                    $0.message = "the container's monitor exited without recording the container's exit"
                }
            }
        } catch {
            logger.error("cannot record container exit", metadata: ["container": "\(id)", "error": "\(error)"])
        }
        await removeCgroup(containerCgroupPath(record))
        await emit(.containerStoppedEvent, containerID: id, sandboxID: record.sandboxID)
        logger.info("container exited", metadata: ["container": "\(id)", "code": "\(exit?.code ?? 255)"])
    }
}
