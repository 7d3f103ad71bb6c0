import BerthBase
import Cgroups
import CRI
import Logging

/// The CRI RuntimeService. This issue answers `Version`, `Status` and `RuntimeConfig`; pod
/// sandboxes and containers come with the native backend.
public final class RuntimeService: Sendable {
    /// Berth's own version.
    public static let version = "0.1.0"

    let logger: Logger
    let cgroup: CgroupMount?

    public init(logger: Logger) {
        self.logger = logger
        self.cgroup = CgroupMount.detect()
    }
}
