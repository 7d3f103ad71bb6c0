import BerthBase
import Foundation

/// Runs `body` with a fresh directory that is removed afterwards, whatever happens.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("\(NSTemporaryDirectory())/berth-content-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else {
        throw BerthError(.internal, "mkdtemp: \(FileSystem.errnoText())")
    }
    let path = String(cString: created)
    defer { try? FileSystem.removeTree(path) }
    return try body(path)
}
