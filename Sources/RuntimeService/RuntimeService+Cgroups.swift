import BerthBase
import Cgroups
import RuntimeSpec
import RuntimeState

/// The runtime's use of the cgroup v2 tree: one cgroup per pod (its infra process in
/// `<pod>/infra`) and one per container below it.
extension RuntimeService {
    func containerCgroupPath(_ record: ContainerRecord) -> String { record.cgroupPath }

    func requireCgroupMount() throws(BerthError) -> CgroupMount {
        guard let cgroup else {
            throw BerthError(.failedPrecondition, "no cgroup2 file system is mounted on this host")
        }
        return cgroup
    }

    func cgroupDirectory(_ path: String) -> String {
        "\(cgroup?.path ?? "/sys/fs/cgroup")/\(path)"
    }

    /// Creates the cgroup and returns its directory.
    func createCgroup(_ path: String) throws(BerthError) -> String {
        let mount = try requireCgroupMount()
        let group = try Cgroup(mount: mount, path: path)
        try group.create()
        return group.directory
    }

    func applyResources(_ resources: Resources, to path: String) throws(BerthError) {
        try Cgroup(mount: try requireCgroupMount(), path: path).apply(resources)
    }

    /// Attaches the device filter for `rules` to the cgroup.
    func applyDevices(_ rules: [Resources.DeviceRule], to path: String) throws(BerthError) {
        try Cgroup(mount: try requireCgroupMount(), path: path).applyDevices(rules)
    }

    /// Removes a cgroup, killing what is left in it (on a thread of its own: it waits for the
    /// processes to go); failures are logged.
    func removeCgroup(_ path: String) async {
        guard let cgroup, !path.isEmpty else { return }
        do {
            let group = try Cgroup(mount: cgroup, path: path)
            try await runBlocking(name: "berth-cgroup-remove") { _ in try group.remove() }
        } catch {
            logger.warning("cannot remove cgroup", metadata: ["cgroup": "\(path)", "error": "\(error)"])
        }
    }

    /// Whether the host accounts swap for cgroups (`memory.swap.max` exists below the root).
    var swapAvailable: Bool {
        guard let cgroup else { return false }
        return cgroup.controllers.contains("memory") && FileSystem.exists("\(cgroup.path)/\(cgroupRoot)/memory.swap.max")
    }

    func cgroupStats(_ path: String) -> CgroupStats? {
        guard let cgroup, !path.isEmpty else { return nil }
        return try? Cgroup(mount: cgroup, path: path).stats()
    }
}
