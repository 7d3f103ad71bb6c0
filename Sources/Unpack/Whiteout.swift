/// What an OCI whiteout entry's name asks for (OCI image spec, "Whiteouts").
enum Whiteout: Equatable {
    /// `.wh.name`: hide `name` of the lower layers.
    case hide(String)
    /// `.wh..wh..opq`: hide everything the lower layers have in this directory.
    case opaque
    /// Other `.wh..wh.` names are reserved for tools and carry nothing for the root file system.
    case ignored
    /// A whiteout of `.`, `..` or nothing.
    case invalid

    static let prefix = ".wh."
    static let opaqueXattr = "trusted.overlay.opaque"

    init(_ name: String) {
        if name == ".wh..wh..opq" {
            self = .opaque
        } else if name.hasPrefix(".wh..wh.") {
            self = .ignored
        } else {
            let hidden = String(name.dropFirst(Self.prefix.count))
            self = hidden.isEmpty || hidden == "." || hidden == ".." ? .invalid : .hide(hidden)
        }
    }
}
