import BerthBase
import CRI
import Foundation
import Synchronization

/// One-time streaming URLs: `Exec`, `Attach` and `PortForward` hand out
/// `http://berth/stream/<token>`; the token is valid once and expires if unused.
final class StreamTokens: Sendable {
    enum Request: Sendable {
        case exec(Runtime_V1_ExecRequest)
        case attach(Runtime_V1_AttachRequest)
        case portForward(Runtime_V1_PortForwardRequest)
    }

    static let pathPrefix = "/stream/"
    let timeout: Duration
    private let pending = Mutex<[String: (request: Request, expires: ContinuousClock.Instant)]>([:])

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Stores `request` under a new random token (32 bytes, hex) and returns the URL.
    func mint(_ request: Request) -> String {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0 ... .max, using: &generator)) }.joined()
        let now = ContinuousClock.now
        pending.withLock { entries in
            entries = entries.filter { $0.value.expires > now }
            entries[token] = (request, now + timeout)
        }
        return "http://berth\(Self.pathPrefix)\(token)"
    }

    /// Takes the request stored for the token in `path` when `accept` agrees to it (returns
    /// a value); the token is then gone. Unknown, used and expired tokens give nil.
    func take<T>(path: String, _ accept: (Request) -> T?) -> (Request, T)? {
        guard path.hasPrefix(Self.pathPrefix) else { return nil }
        let token = String(path.dropFirst(Self.pathPrefix.count))
        return pending.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard entry.expires > .now else {
                entries[token] = nil
                return nil
            }
            guard let accepted = accept(entry.request) else { return nil }
            entries[token] = nil
            return (entry.request, accepted)
        }
    }
}
