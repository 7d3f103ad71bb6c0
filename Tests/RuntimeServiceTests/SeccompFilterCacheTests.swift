import BerthBase
import RuntimeSpec
import Seccomp
import Testing
@testable import RuntimeService

@Suite struct SeccompFilterCacheTests {
    @Test func aProfileIsCompiledOncePerKey() throws {
        let cache = SeccompFilterCache()
        var made = 0
        func make() -> RuntimeSpec.Seccomp {
            made += 1
            return SeccompProfiles.runtimeDefault(capabilities: ["CAP_CHOWN"])
        }
        let first = try cache.entry("runtime/default|CAP_CHOWN") { () throws(BerthError) in make() }
        let second = try cache.entry("runtime/default|CAP_CHOWN") { () throws(BerthError) in make() }
        #expect(made == 1)
        #expect(!first.filter.isEmpty && first.filter == second.filter)
        #expect(first.filter == (try SeccompCompiler.compile(make())))

        let admin = try cache.entry("runtime/default|CAP_SYS_ADMIN") { () throws(BerthError) in
            SeccompProfiles.runtimeDefault(capabilities: ["CAP_SYS_ADMIN"])
        }
        #expect(admin.filter != first.filter, "CAP_SYS_ADMIN allows more syscalls: another filter")
        #expect(cache.count == 2)
    }

    @Test func aFailedCompileIsNotKept() {
        let cache = SeccompFilterCache()
        #expect(throws: BerthError.self) {
            try cache.entry("broken") { () throws(BerthError) in throw BerthError(.invalidArgument, "bad profile") }
        }
        #expect(cache.count == 0)
    }

    @Test func theCacheStartsOverPastItsLimit() throws {
        let cache = SeccompFilterCache()
        let profile = SeccompProfiles.runtimeDefault(capabilities: [])
        for number in 0..<SeccompFilterCache.limit {
            _ = try cache.entry("key-\(number)") { () throws(BerthError) in profile }
        }
        #expect(cache.count == SeccompFilterCache.limit)
        _ = try cache.entry("one-more") { () throws(BerthError) in profile }
        #expect(cache.count == 1)
    }
}
