import BerthBase
import Foundation
import HTTPClient
import Logging
import Synchronization

/// Answers registry challenges: remembers which scheme each endpoint asked for, and caches
/// bearer tokens per (endpoint, scope, user) until shortly before they expire.
final class Authorizer: Sendable {
    private struct TokenKey: Hashable {
        let endpoint: String
        let scope: String
        let identity: String
    }

    private struct Token {
        let value: String
        let expires: Date
    }

    private struct State {
        var challenges: [String: AuthChallenge] = [:]
        var tokens: [TokenKey: Token] = [:]
    }

    private let state = Mutex(State())
    private let options: TransferOptions
    private let logger: Logger

    init(options: TransferOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The `Authorization` value to send up front: a given registry token, or the answer to
    /// the challenge this endpoint sent before. Nil when the endpoint never asked.
    func authorization(
        endpoint: RegistryEndpoint, scope: String, credentials: Credentials?, flag: CancellationFlag
    ) throws(BerthError) -> String? {
        if let token = credentials?.registryToken { return "Bearer \(token)" }
        guard let challenge = state.withLock({ $0.challenges[endpoint.base] }) else { return nil }
        return try answer(challenge, endpoint: endpoint, scope: scope, credentials: credentials, flag: flag)
    }

    /// The `Authorization` value after a 401: the challenge is remembered, any cached token
    /// for this scope dropped (the registry refused it), and the challenge answered afresh.
    func respond(
        to response: TransferResponse, endpoint: RegistryEndpoint, scope: String, credentials: Credentials?, flag: CancellationFlag
    ) throws(BerthError) -> String {
        let challenges = response.headers("WWW-Authenticate").flatMap(AuthChallenge.parse)
        // Prefer bearer: it never sends the password to the registry itself.
        guard let challenge = challenges.first(where: { $0.scheme == "bearer" }) ?? challenges.first(where: { $0.scheme == "basic" }) else {
            let offered = challenges.map(\.scheme).joined(separator: ", ")
            throw BerthError(.unauthenticated, "\(endpoint): unauthorized, and no supported authentication scheme offered (\(offered.isEmpty ? "none" : offered))")
        }
        let key = TokenKey(endpoint: endpoint.base, scope: scope, identity: credentials?.identity ?? "")
        state.withLock { state in
            state.challenges[endpoint.base] = challenge
            state.tokens[key] = nil
        }
        return try answer(challenge, endpoint: endpoint, scope: scope, credentials: credentials, flag: flag)
    }

    private func answer(
        _ challenge: AuthChallenge, endpoint: RegistryEndpoint, scope: String, credentials: Credentials?, flag: CancellationFlag
    ) throws(BerthError) -> String {
        switch challenge.scheme {
        case "basic":
            guard let basic = credentials?.basicAuthorization else {
                throw BerthError(.unauthenticated, "\(endpoint): authentication required and no credentials given")
            }
            return basic
        case "bearer":
            let key = TokenKey(endpoint: endpoint.base, scope: scope, identity: credentials?.identity ?? "")
            if let token = state.withLock({ $0.tokens[key] }), token.expires > Date() {
                return "Bearer \(token.value)"
            }
            let token = try fetchToken(challenge, endpoint: endpoint, scope: scope, credentials: credentials, flag: flag)
            state.withLock { $0.tokens[key] = token }
            return "Bearer \(token.value)"
        default:
            throw BerthError(.unauthenticated, "\(endpoint): unsupported authentication scheme \"\(challenge.scheme)\"")
        }
    }

    /// Asks the token service named by a bearer challenge (distribution's token spec): a GET
    /// with basic credentials, or the OAuth2 refresh-token POST when an identity token is given.
    private func fetchToken(
        _ challenge: AuthChallenge, endpoint: RegistryEndpoint, scope: String, credentials: Credentials?, flag: CancellationFlag
    ) throws(BerthError) -> Token {
        guard let realm = challenge.parameters["realm"], realm.hasPrefix("http://") || realm.hasPrefix("https://") else {
            throw BerthError(.unauthenticated, "\(endpoint): bearer challenge without an http(s) realm")
        }
        let service = challenge.parameters["service"]
        var request: TransferRequest
        if let refreshToken = credentials?.identityToken {
            var form = ["grant_type": "refresh_token", "refresh_token": refreshToken, "client_id": "berth", "scope": scope]
            form["service"] = service
            let body = form.sorted { $0.key < $1.key }.map { "\($0.key)=\(percentEncoded($0.value))" }.joined(separator: "&")
            request = TransferRequest(method: "POST", url: realm)
            request.headers = ["Content-Type: application/x-www-form-urlencoded"]
            request.body = .bytes(Array(body.utf8))
        } else {
            var query = ["scope=\(percentEncoded(scope))"]
            if let service { query.insert("service=\(percentEncoded(service))", at: 0) }
            request = TransferRequest(url: realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
            if let basic = credentials?.basicAuthorization { request.headers = ["Authorization: \(basic)"] }
        }
        request.bodyLimit = 1 << 20

        logger.debug("requesting registry token", metadata: ["realm": "\(realm)", "scope": "\(scope)"])
        let response: TransferResponse
        do {
            var options = options
            options.verifyTLS = endpoint.verifyTLS
            response = try transfer(request, options: options, flag: flag)
        } catch {
            throw error.berthError(endpoint: "token service \(realm)")
        }
        switch response.status {
        case 200..<300:
            break
        case 401:
            throw BerthError(.unauthenticated, "token service \(realm): credentials refused\(registryMessage(response))")
        case 403:
            throw BerthError(.permissionDenied, "token service \(realm): access denied\(registryMessage(response))")
        default:
            throw BerthError(.unavailable, "token service \(realm): HTTP \(response.status)\(registryMessage(response))")
        }
        struct Reply: Decodable {
            var token: String?
            var accessToken: String?
            var expiresIn: Int?
            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
                case expiresIn = "expires_in"
            }
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(response.body)),
              let value = reply.token ?? reply.accessToken, !value.isEmpty else {
            throw BerthError(.unavailable, "token service \(realm): reply holds no token")
        }
        // The token spec's default lifetime is 60 s; renew a little early to avoid a 401 race.
        let lifetime = Double(max(reply.expiresIn ?? 60, 60))
        return Token(value: value, expires: Date().addingTimeInterval(lifetime * 0.9))
    }
}

/// Percent-encodes a query or form value (RFC 3986 unreserved characters kept).
func percentEncoded(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}

/// `: <code>: <message>` from a registry's JSON error body, or nothing.
func registryMessage(_ response: TransferResponse) -> String {
    struct Body: Decodable {
        struct Entry: Decodable {
            var code: String?
            var message: String?
        }
        var errors: [Entry]?
        var details: String?
    }
    guard let body = try? JSONDecoder().decode(Body.self, from: Data(response.body)) else { return "" }
    let entries = (body.errors ?? []).map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }
    let text = entries.filter { !$0.isEmpty }.joined(separator: "; ")
    return text.isEmpty ? (body.details.map { ": \($0)" } ?? "") : ": \(text)"
}

extension TransferError {
    /// The Berth error for a transfer that failed before any response, naming the endpoint.
    func berthError(endpoint: String) -> BerthError {
        switch self {
        case .connection(let detail): BerthError(.unavailable, "\(endpoint): \(detail)")
        case .cancelled: BerthError(.cancelled, "cancelled")
        case .sink(let error): error
        case .bodyTooLarge(let limit): BerthError(.resourceExhausted, "\(endpoint): response larger than \(limit) bytes")
        case .setup(let detail): BerthError(.internal, "\(endpoint): \(detail)")
        }
    }
}
