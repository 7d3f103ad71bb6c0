#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

// OpenSSL spells these as function-like macros, which Swift cannot call.

/// The server name sent in the TLS ClientHello (SNI); 1 on success.
static inline int berth_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// Refuses protocol versions older than TLS 1.2; 1 on success.
static inline int berth_ssl_ctx_require_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// A peer that closes without close_notify ends the stream instead of failing it: HTTP
/// framing, not TLS, says whether a body is complete. Also lets a write that waited be
/// retried from a different address.
static inline void berth_ssl_ctx_set_client_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}
