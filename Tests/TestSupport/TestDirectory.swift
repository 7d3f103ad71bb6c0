#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A temporary directory removed when the test ends.
public final class TestDirectory {
    public let path: String

    public init(prefix: String = "berth-test") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp: \(errno)") }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { "\(path)/\(name)" }
}

/// Whether the tests run as root, which real mounts, owners and device nodes need.
public let isRoot = geteuid() == 0
