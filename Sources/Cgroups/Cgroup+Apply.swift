import BerthBase
import RuntimeSpec

extension Cgroup {
    /// Writes `resources` to the cgroup's files. A limit whose controller this cgroup lacks is
    /// refused with `failedPrecondition` before anything is written, rather than dropped.
    public func apply(_ resources: Resources) throws(BerthError) {
        try apply(try CgroupSettings.settings(for: resources))
    }

    /// Writes settings made by `CgroupSettings.settings(for:)` (or by hand).
    public func apply(_ settings: [CgroupSetting]) throws(BerthError) {
        guard exists else { throw BerthError(.notFound, "apply limits to cgroup \(path): it does not exist under \(mount.path)") }
        let available = controllers()
        for setting in settings {
            if let controller = setting.controller, !available.contains(controller) {
                let offered = available.isEmpty ? "none" : available.sorted().joined(separator: " ")
                throw BerthError(.failedPrecondition, "apply limits to cgroup \(path): \(setting.file) needs the cgroup v2 \(controller) controller, which is not available (this cgroup has: \(offered); cgroup2 mounted at \(mount.path))")
            }
        }
        for setting in settings {
            let file = "\(directory)/\(setting.file)"
            if setting.optional && !FileSystem.exists(file) { continue }
            do {
                try CgroupFiles.write(setting.value, to: file)
            } catch {
                // Like runc: with no swap accounting there is no swap to limit, so asking for
                // "no limit" or "no swap" is already true.
                if setting.file == "memory.swap.max", ["max", "0"].contains(setting.value), !FileSystem.exists(file) { continue }
                throw BerthError(error.code, "apply limits to cgroup \(path): \(error.message)")
            }
        }
    }
}
