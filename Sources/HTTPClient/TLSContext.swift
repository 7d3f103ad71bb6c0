import COpenSSL
import Synchronization

/// An OpenSSL client context: TLS 1.2 or later, the system's CA store, and peer
/// verification on or off. Shared by every transfer with the same settings; OpenSSL allows
/// one context to serve many connections on many threads.
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    let verifies: Bool

    private init(verify: Bool, extraRoots: String?) throws(TransferError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw .setup("TLS context: \(openSSLErrorText() ?? "SSL_CTX_new failed")")
        }
        pointer = context
        verifies = verify
        guard berth_ssl_ctx_require_tls12(context) == 1 else {
            throw .setup("TLS context: \(openSSLErrorText() ?? "cannot require TLS 1.2")")
        }
        berth_ssl_ctx_set_client_options(context)
        if verify {
            // The system store (Debian: /etc/ssl/certs); SSL_CERT_FILE and SSL_CERT_DIR apply.
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw .setup("TLS context: cannot load the system CA store: \(openSSLErrorText() ?? "unknown error")")
            }
            if let extraRoots, SSL_CTX_load_verify_locations(context, extraRoots, nil) != 1 {
                throw .setup("TLS context: cannot load \(extraRoots): \(openSSLErrorText() ?? "unknown error")")
            }
        }
        SSL_CTX_set_verify(context, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
    }

    deinit { SSL_CTX_free(pointer) }

    /// What a context is made from; extra roots only matter when verifying.
    private struct Key: Hashable {
        var verify: Bool
        var extraRoots: String?
    }

    private static let shared = Mutex<[Key: TLSContext]>([:])

    /// The shared context for these settings, made on first use: loading a CA store takes
    /// milliseconds, too long to repeat for every request and redirect.
    static func context(verify: Bool, extraRoots: String?) throws(TransferError) -> TLSContext {
        let key = Key(verify: verify, extraRoots: verify ? extraRoots : nil)
        if let context = shared.withLock({ $0[key] }) { return context }
        // Made outside the lock: a racing thread's context is simply dropped.
        let made = try TLSContext(verify: key.verify, extraRoots: key.extraRoots)
        return shared.withLock { contexts in
            if let existing = contexts[key] { return existing }
            contexts[key] = made
            return made
        }
    }
}

/// The reason of the oldest error on this thread's OpenSSL error queue, which is emptied.
func openSSLErrorText() -> String? {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0 else { return nil }
    if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
