import BerthBase
import CSpawn
import Glibc

/// Starts a program without running any Swift between fork and exec (posix_spawn), with the
/// child's descriptors given by position and every other descriptor closed. The child gets an
/// empty signal mask and default signal handlers: it must not inherit what the daemon blocks
/// or ignores.
public enum Spawn {
    /// Spawns `path` with `arguments` (argv[1…]) and `environment`; `descriptors[i]` becomes
    /// the child's fd `i`. With `newProcessGroup` the child leads a group of its own, so the
    /// whole group can be killed.
    public static func start(
        _ path: String, arguments: [String], environment: [String], descriptors: [Int32], newProcessGroup: Bool = false
    ) throws(BerthError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in descriptors.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, Int32(target))
        }
        berth_spawn_closefrom(&actions, Int32(descriptors.count))

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var cArgs: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for variable in cEnv { free(variable) } }

        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else { throw BerthError(.internal, "spawn \(path): \(FileSystem.errnoText(rc))") }
        return pid
    }
}
