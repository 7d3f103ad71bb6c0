import BerthBase

/// A tar entry name split into components, proven to stay inside the layer: no `..`,
/// not absolute. `.` and empty components are dropped, so `./usr//bin/` is `usr/bin`.
struct EntryPath {
    let components: [Substring]

    /// The directory that holds the entry (empty for top-level entries and the root).
    var parent: ArraySlice<Substring> { components.dropLast() }
    /// The entry's own name, or nil for the layer root itself (`./`).
    var name: Substring? { components.last }

    /// Parses `text`, the name of `entry` or, for a hard link, its target (`what` then
    /// says so, for the error message).
    init(_ text: String, entry: String, what: String = "path") throws(BerthError) {
        guard !text.isEmpty else {
            throw BerthError(.invalidArgument, "layer entry \"\(entry)\": empty \(what)")
        }
        if text.utf8.first == UInt8(ascii: "/") {
            throw BerthError(.invalidArgument, "layer entry \"\(entry)\": \(what) is absolute")
        }
        var components: [Substring] = []
        for component in text.split(separator: "/", omittingEmptySubsequences: true) where component != "." {
            if component == ".." {
                throw BerthError(.invalidArgument, "layer entry \"\(entry)\": \(what) escapes the layer")
            }
            components.append(component)
        }
        self.components = components
    }
}
