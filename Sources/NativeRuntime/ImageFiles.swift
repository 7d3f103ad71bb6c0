import BerthBase
import CXattr
import Glibc

/// Reads a file of an image without mounting it, looking through its layer directories from
/// the top down as overlayfs would, stopping at whiteouts and opaque directories.
public enum ImageFiles {
    /// The file at `path` (relative, e.g. `etc/passwd`) in the image whose layer directories
    /// are `layers`, top-most first; nil when the image has no such regular file.
    public static func read(_ path: String, layers: [String], limit: Int = 4 << 20) -> [UInt8]? {
        let components = path.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains("..") else { return nil }
        for layer in layers {
            var directory = layer
            var hidden = false
            for (index, component) in components.enumerated() {
                let candidate = "\(directory)/\(component)"
                var info = stat()
                if lstat(candidate, &info) != 0 { break }
                if isWhiteout(info) { hidden = true; break }
                if index == components.count - 1 {
                    guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= limit else { return nil }
                    return try? FileSystem.read(candidate)
                }
                guard (info.st_mode & S_IFMT) == S_IFDIR else { hidden = true; break }
                directory = candidate
                if isOpaque(candidate) && index < components.count - 1 {
                    // Lower layers are hidden below this directory once this layer is searched.
                    if !FileSystem.exists("\(candidate)/\(components[index + 1])") { return nil }
                }
            }
            if hidden { return nil }
        }
        return nil
    }

    private static func isWhiteout(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0
    }

    private static func isOpaque(_ directory: String) -> Bool {
        var value: UInt8 = 0
        return getxattr(directory, "trusted.overlay.opaque", &value, 1) == 1 && value == UInt8(ascii: "y")
    }
}
