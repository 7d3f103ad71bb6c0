import BerthBase
import NativeRuntime
import Network
import RuntimeState
import ShimPlan

extension RuntimeService {
    /// Reconciles the records with what is really there, at start-up before serving: running
    /// containers are watched again, exits that happened while berthd was down are learned
    /// from their exit files, half-created sandboxes and containers are undone, and bundles,
    /// pod directories and cgroups that no record owns are removed.
    public func recover() async {
        let (sandboxes, containers) = await store.load()
        var networked: [String] = []
        for record in containers {
            await images.hold(chainIDs: record.chainIDs)
            switch record.phase {
            case .creating:
                logger.info("removing container left half-created", metadata: ["container": "\(record.id)"])
                await teardownContainer(record.id)
            case .created, .exited:
                break
            case .starting:
                await recoverStarting(record)
            case .running:
                if let monitor = record.monitor, monitor.isAlive {
                    watchExit(of: record.id, monitor: monitor)
                } else {
                    await recordExit(record.id)
                }
            }
        }
        for record in sandboxes {
            switch record.phase {
            case .creating:
                logger.info("removing pod sandbox left half-created", metadata: ["sandbox": "\(record.id)"])
                if record.infra == nil, let state = readState("\(record.directory)/infra.state"),
                   let infra = state.infraPid.flatMap(ProcessIdentity.of(pid:)) {
                    _ = try? await store.updateSandbox(record.id) { $0.infra = infra }
                }
                await teardownSandbox(record.id)
            case .ready:
                if record.infra?.isAlive != true {
                    logger.warning("pod infra process is gone; sandbox not ready", metadata: ["sandbox": "\(record.id)"])
                    _ = try? await store.updateSandbox(record.id) {
                        $0.phase = .notReady
                        $0.notReadyReason = "the pod's infra process exited while berthd was down"
                    }
                } else if FileSystem.exists(record.networkCache) {
                    networked.append(record.id)
                }
            case .notReady:
                break
            }
        }
        await removeOrphans()
        // The network may have changed while berthd was down; CHECK runs the plugins, so it
        // goes on in the background instead of delaying the socket.
        if !networked.isEmpty {
            Task { await self.checkNetworks(of: networked) }
        }
    }

    /// A start cut short by a crash: the shim's state file says whether the container runs.
    private func recoverStarting(_ record: ContainerRecord) async {
        let state = readState("\(record.bundle)/shim.state")
        let monitor = state?.monitorPid.flatMap(ProcessIdentity.of(pid:))
        if let monitor, let state, let initPid = state.initPid {
            let initProcess = ProcessIdentity.of(pid: initPid) ?? ProcessIdentity(pid: initPid, startTime: 0)
            _ = try? await store.updateContainer(record.id) {
                $0.phase = .running
                $0.monitor = monitor
                $0.initProcess = initProcess
                $0.startedAt = state.startedNanos ?? nowNanos()
            }
            watchExit(of: record.id, monitor: monitor)
        } else if FileSystem.exists("\(record.bundle)/exit") {
            _ = try? await store.updateContainer(record.id) { $0.phase = .running }
            await recordExit(record.id)
        } else {
            _ = try? await store.updateContainer(record.id) {
                $0.phase = .exited
                $0.exitCode = 128
                $0.reason = "StartError"
                $0.message = "berthd stopped while the container was starting"
                $0.finishedAt = nowNanos()
            }
            await removeCgroup(record.cgroupPath)
        }
    }

    /// A pod whose record is gone but whose CNI attachment is cached: DEL with the cached
    /// configuration and result, so its address and host-side rules are released. False when
    /// DEL failed: the cache must then stay for the next start to try again.
    private func detachOrphanNetwork(_ id: String) async -> Bool {
        let cache = SandboxRecord.networkCache(directory: paths.podDirectory(id))
        guard FileSystem.exists(cache) else { return true }
        let netns = paths.netns(id)
        do {
            _ = try await network.delete(cacheFile: cache, netns: NetnsFile.isPinned(netns) ? netns : "")
            logger.info("released the network of an orphaned pod", metadata: ["sandbox": "\(id)"])
            return true
        } catch {
            logger.warning("CNI DEL of an orphaned pod failed; retried at the next start", metadata: ["sandbox": "\(id)", "error": "\(error)"])
            return false
        }
    }

    private func readState(_ path: String) -> StateRecord? {
        (try? StateRecord.read(path)) ?? nil
    }

    /// Bundles, container directories and pod directories without a record, and cgroups under
    /// Berth's root that no sandbox or container owns.
    private func removeOrphans() async {
        let containerIDs = Set(await store.allContainers().map(\.id))
        let sandboxes = await store.allSandboxes()
        let sandboxIDs = Set(sandboxes.map(\.id))
        for name in FileSystem.list(paths.bundlesRoot) where !containerIDs.contains(name) {
            logger.info("removing orphaned bundle", metadata: ["container": "\(name)"])
            try? FileSystem.removeTree(paths.bundle(name))
        }
        for name in FileSystem.list(paths.containersRoot) where !containerIDs.contains(name) {
            logger.info("removing orphaned container directory", metadata: ["container": "\(name)"])
            ImageMounts.unmountAll(under: paths.containerDirectory(name))
            try? FileSystem.removeTree(paths.containerDirectory(name))
        }
        for name in FileSystem.list(paths.podsRoot) where !sandboxIDs.contains(name) {
            logger.info("removing orphaned pod directory", metadata: ["sandbox": "\(name)"])
            guard await detachOrphanNetwork(name) else { continue }
            try? PodFiles(directory: paths.podDirectory(name)).remove()
        }
        for name in FileSystem.list(paths.netnsRoot) where !sandboxIDs.contains(name) {
            logger.info("removing orphaned pod network namespace", metadata: ["sandbox": "\(name)"])
            do {
                try NetnsFile.release(paths.netns(name))
            } catch {
                logger.warning("orphaned network namespace not removed", metadata: ["sandbox": "\(name)", "error": "\(error)"])
            }
        }
        guard let cgroup else { return }
        let owned = Set(sandboxes.map(\.cgroupPath))
        let root = cgroupRoot
        for name in FileSystem.list("\(cgroup.path)/\(root)") where FileSystem.isDirectory("\(cgroup.path)/\(root)/\(name)") {
            let path = "\(root)/\(name)"
            if !owned.contains(path) {
                logger.info("removing orphaned cgroup", metadata: ["cgroup": "\(path)"])
                await removeCgroup(path)
            }
        }
        for sandbox in sandboxes where FileSystem.isDirectory(cgroupDirectory(sandbox.cgroupPath)) {
            for name in FileSystem.list(cgroupDirectory(sandbox.cgroupPath))
            where FileSystem.isDirectory("\(cgroupDirectory(sandbox.cgroupPath))/\(name)") && name != "infra" && !containerIDs.contains(name) {
                await removeCgroup("\(sandbox.cgroupPath)/\(name)")
            }
        }
    }
}
