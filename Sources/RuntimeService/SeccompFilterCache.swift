import BerthBase
import RuntimeSpec
import Seccomp
import Synchronization

/// Compiled seccomp filters, by what decides them: the runtime default depends only on the
/// container's bounding capabilities, a localhost profile on its bytes and those capabilities.
/// libseccomp's compile is the costliest step of CreateContainer's policy work, and most
/// containers of a node share a handful of filters.
final class SeccompFilterCache: Sendable {
    struct Entry: Sendable {
        var profile: RuntimeSpec.Seccomp
        var filter: [UInt8]
    }

    /// More distinct filters than this and the cache starts over: a node has a few.
    static let limit = 64
    private let entries = Mutex<[String: Entry]>([:])

    /// The entry for `key`, compiling `make()`'s profile the first time.
    func entry(_ key: String, _ make: () throws(BerthError) -> RuntimeSpec.Seccomp) throws(BerthError) -> Entry {
        if let known = entries.withLock({ $0[key] }) { return known }
        let profile = try make()
        let entry = Entry(profile: profile, filter: try SeccompCompiler.compile(profile))
        entries.withLock { cache in
            if cache.count >= Self.limit { cache.removeAll() }
            cache[key] = entry
        }
        return entry
    }

    var count: Int { entries.withLock { $0.count } }
}
