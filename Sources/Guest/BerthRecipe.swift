/// The guest that runs Berth itself: its binaries, a registry and the test images, on a
/// kernel with cgroup v2 mounted alone and some hugepages.
extension GuestRecipe {
    /// - Parameters:
    ///   - binaries: the directory holding berthd, berthctl, berth-conformance, berth-shim and
    ///     berth-testimages (a `swift build` bin path).
    ///   - testImages: OCI layouts by name, placed at `/berth/testimages/<name>`.
    ///   - extra: more files, host path → guest path.
    public static func berth(binaries: String, testImages: [String: String] = [:], extra: [(host: String, guest: String)] = []) -> GuestRecipe {
        let programs = ["berthd", "berthctl", "berth-conformance", "berth-shim", "berth-testimages"]
        var files: [(host: String, guest: String)] = programs.map { ("\(binaries)/\($0)", "/usr/local/bin/\($0)") }
        // The local registry, and skopeo which berth-testimages pushes with.
        let tools = ["/usr/bin/docker-registry", "/usr/bin/skopeo"]
        files += tools.map { ($0, $0) }
        files.append(("/etc/containers/policy.json", "/etc/containers/policy.json"))
        files += testImages.sorted { $0.key < $1.key }.map { ($0.value, "/berth/testimages/\($0.key)") }
        files += extra
        var recipe = GuestRecipe(files: files, programs: programs.map { "\(binaries)/\($0)" } + tools)
        recipe.commandLine = berthCommandLine
        return recipe
    }

    /// cgroup v2 alone (no v1 hierarchy may hold a controller) and 32 MiB of 2 MiB hugepages.
    public static let berthCommandLine = ["systemd.unified_cgroup_hierarchy=1", "cgroup_no_v1=all", "hugepages=16"]
}
