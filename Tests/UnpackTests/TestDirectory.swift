#if canImport(Glibc)
import Glibc
#endif
import CXattr
import Foundation
import TestSupport

/// lstat, or nil when nothing is there.
func status(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

func xattr(_ path: String, _ name: String) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: 256)
    let size = lgetxattr(path, name, &buffer, buffer.count)
    return size < 0 ? nil : Array(buffer.prefix(size))
}

func contents(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map(Array.init)
}

