import BerthBase

extension LayerStore {
    /// Overlayfs stacks at most this many lower layers (the kernel's `OVL_MAX_STACK`).
    public static let maximumLayers = 500

    /// Mount options must fit in one page (the kernel copies one page of mount data); keep
    /// a margin for options the mounting code may add.
    static let optionLimit = 4096 - 128

    /// A writable root: the image's layers (`chainIDs`, base first as in the image config)
    /// under `upperDir`, with overlayfs' `workDir` beside it (same file system).
    public func overlaySnapshot(chainIDs: [Digest], upperDir: String, workDir: String) throws(BerthError) -> OverlaySnapshot {
        for (label, path) in [("upper", upperDir), ("work", workDir)] where !path.hasPrefix("/") || path.contains(",") || path.contains(":") {
            throw BerthError(.invalidArgument, "overlay \(label) directory \"\(path)\": must be absolute, without ',' or ':'")
        }
        let lowerDirs = try lowerDirectories(chainIDs, minimum: 1)
        let extra = ["upperdir=\(upperDir)", "workdir=\(workDir)"]
        let (lower, workingDirectory) = try lowerOption(chainIDs: chainIDs, absolute: lowerDirs, extra: extra)
        let mount = Mount(type: "overlay", source: "overlay", options: [lower] + extra)
        return OverlaySnapshot(
            lowerDirs: lowerDirs, upperDir: upperDir, workDir: workDir, mounts: [mount], workingDirectory: workingDirectory)
    }

    /// A read-only view of an image: a read-only bind mount of its one layer, or an
    /// overlay of lower layers only.
    public func readOnlySnapshot(chainIDs: [Digest]) throws(BerthError) -> OverlaySnapshot {
        let lowerDirs = try lowerDirectories(chainIDs, minimum: 1)
        if lowerDirs.count == 1 {
            let mount = Mount(type: "bind", source: lowerDirs[0], options: ["rbind", "ro"])
            return OverlaySnapshot(lowerDirs: lowerDirs, upperDir: nil, workDir: nil, mounts: [mount], workingDirectory: nil)
        }
        let (lower, workingDirectory) = try lowerOption(chainIDs: chainIDs, absolute: lowerDirs, extra: ["ro"])
        let mount = Mount(type: "overlay", source: "overlay", options: [lower, "ro"])
        return OverlaySnapshot(lowerDirs: lowerDirs, upperDir: nil, workDir: nil, mounts: [mount], workingDirectory: workingDirectory)
    }

    /// The layers' directories, top-most first, each checked to be present.
    private func lowerDirectories(_ chainIDs: [Digest], minimum: Int) throws(BerthError) -> [String] {
        guard chainIDs.count >= minimum else {
            throw BerthError(.invalidArgument, "overlay snapshot: an image needs at least \(minimum) layer")
        }
        guard chainIDs.count <= Self.maximumLayers else {
            throw BerthError(
                .invalidArgument, "overlay snapshot: \(chainIDs.count) layers; overlayfs stacks at most \(Self.maximumLayers)")
        }
        for chainID in chainIDs where !contains(chainID) {
            throw BerthError(.notFound, "overlay snapshot: layer \(chainID) is not unpacked")
        }
        return chainIDs.reversed().map(diffPath)
    }

    /// `lowerdir=` with absolute paths, or, when those would not fit in a page, with
    /// `l/<short-id>` paths relative to the store's root (returned as the working directory).
    private func lowerOption(
        chainIDs: [Digest], absolute: [String], extra: [String]
    ) throws(BerthError) -> (option: String, workingDirectory: String?) {
        let absoluteOption = "lowerdir=" + absolute.joined(separator: ":")
        if Self.optionLength([absoluteOption] + extra) <= Self.optionLimit { return (absoluteOption, nil) }
        var relative: [String] = []
        for chainID in chainIDs.reversed() {
            relative.append("l/" + (try shortID(chainID)))
        }
        let relativeOption = "lowerdir=" + relative.joined(separator: ":")
        let length = Self.optionLength([relativeOption] + extra)
        guard length <= Self.optionLimit else {
            throw BerthError(
                .resourceExhausted,
                "overlay snapshot: \(chainIDs.count) layers need \(length) bytes of mount options; at most \(Self.optionLimit) fit")
        }
        return (relativeOption, root)
    }

    static func optionLength(_ options: [String]) -> Int {
        options.reduce(0) { $0 + $1.utf8.count } + max(options.count - 1, 0)
    }
}
