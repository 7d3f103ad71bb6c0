/// One mount to perform, as data: the snapshotter describes it, something else mounts it
/// (like containerd's `mount.Mount`).
public struct Mount: Sendable, Hashable, Codable {
    /// The file system type: `overlay`, or `bind` for a bind mount.
    public var type: String
    /// What to mount: a directory for a bind mount, `overlay` for an overlay.
    public var source: String
    /// Where to mount it, when the snapshot knows; usually chosen by the caller.
    public var target: String?
    /// Mount options as `mount -o` takes them, one per element (`lowerdir=…`, `ro`, `rbind`).
    public var options: [String]

    public init(type: String, source: String, target: String? = nil, options: [String]) {
        self.type = type
        self.source = source
        self.target = target
        self.options = options
    }

    /// The options joined for `mount(2)`'s data argument or `mount -o`.
    public var optionString: String { options.joined(separator: ",") }
}
