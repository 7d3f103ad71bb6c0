import BerthBase
import CRI

/// Which seccomp profile a container runs under; the daemon compiles it into the filter.
public enum SeccompChoice: Sendable, Equatable {
    case unconfined
    case runtimeDefault
    /// A profile file on the host (absolute path).
    case localhost(String)

    /// containerd's rules: privileged → unconfined; the `seccomp` profile wins over the
    /// deprecated `seccomp_profile_path` (`runtime/default`, `docker/default`, `unconfined`,
    /// `localhost/<path>`, empty); nothing given → unconfined.
    public static func choose(profile: Runtime_V1_SecurityProfile?, profilePath: String, privileged: Bool,
                              field: String = "linux.security_context.seccomp") throws(BerthError) -> SeccompChoice {
        if privileged { return .unconfined }
        if let profile {
            switch profile.profileType {
            case .runtimeDefault: return .runtimeDefault
            case .unconfined: return .unconfined
            case .localhost:
                return try localhost(profile.localhostRef, field: "\(field).localhost_ref")
            case .UNRECOGNIZED(let value):
                throw BerthError(.invalidArgument, "\(field).profile_type: unknown profile type \(value)")
            }
        }
        switch profilePath {
        case "", "unconfined": return .unconfined
        case "runtime/default", "docker/default": return .runtimeDefault
        default:
            if profilePath.hasPrefix("localhost/") {
                return try localhost(String(profilePath.dropFirst("localhost/".count)), field: "\(field)_profile_path")
            }
            throw BerthError(.invalidArgument, "\(field)_profile_path: unknown seccomp profile \"\(profilePath)\"")
        }
    }

    private static func localhost(_ path: String, field: String) throws(BerthError) -> SeccompChoice {
        guard path.hasPrefix("/") else {
            throw BerthError(.invalidArgument, "\(field): the localhost profile path \"\(path)\" is not absolute")
        }
        return .localhost(path)
    }
}
