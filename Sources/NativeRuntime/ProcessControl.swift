import BerthBase
import CLinux
import Foundation
import Glibc
import RuntimeState

/// Signals for processes berthd did not fork (shims, container processes), always through a
/// pidfd checked against the process's start time, so a reused pid is never hit.
public enum ProcessControl {
    @discardableResult
    public static func signal(_ process: ProcessIdentity, _ number: Int32) -> Bool {
        let pidfd = berth_pidfd_open(process.pid)
        guard pidfd >= 0 else { return false }
        defer { close(pidfd) }
        guard process.isAlive else { return false }
        return berth_pidfd_send_signal(pidfd, number) == 0
    }

    /// Sends SIGKILL and waits (at most `grace`) until the process is gone.
    public static func kill(_ process: ProcessIdentity, grace: Duration) async {
        guard process.isAlive else { return }
        signal(process, SIGKILL)
        let deadline = ContinuousClock.now + grace
        while process.isAlive && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// The capabilities of berthd's own process.
public enum ProcessCapabilities {
    /// The bounding set (`CapBnd` in `/proc/self/status`), or nil when it cannot be read.
    public static func bounding() -> UInt64? {
        guard let bytes = try? FileSystem.read("/proc/self/status") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapBnd:") {
            return UInt64(line.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }
}
