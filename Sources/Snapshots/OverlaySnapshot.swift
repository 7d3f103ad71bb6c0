/// A container's root (or a read-only view of an image) as overlay layers, plus the mounts
/// that build it. A value: nothing is mounted until someone performs `mounts`.
public struct OverlaySnapshot: Sendable, Hashable {
    /// Layer directories, the top-most first (overlayfs' `lowerdir` order).
    public var lowerDirs: [String]
    /// Where the container's writes go; nil for a read-only view.
    public var upperDir: String?
    /// Overlayfs' scratch directory next to `upperDir`; nil for a read-only view.
    public var workDir: String?
    /// What to mount, in order.
    public var mounts: [Mount]
    /// Set when the mount options name layers relative to this directory (to fit in one
    /// page): the mounting code must `chdir` here first, in a single-threaded process.
    public var workingDirectory: String?

    public init(lowerDirs: [String], upperDir: String?, workDir: String?, mounts: [Mount], workingDirectory: String?) {
        self.lowerDirs = lowerDirs
        self.upperDir = upperDir
        self.workDir = workDir
        self.mounts = mounts
        self.workingDirectory = workingDirectory
    }
}
