import BerthBase
import Foundation

/// What a pull may authenticate with, as CRI's `AuthConfig` carries it.
public struct Credentials: Sendable, Hashable {
    public var username: String?
    public var password: String?
    /// A refresh token for the registry's token service (Docker's `identitytoken`).
    public var identityToken: String?
    /// A bearer token sent to the registry as is, without asking a token service.
    public var registryToken: String?

    public init(username: String? = nil, password: String? = nil, identityToken: String? = nil, registryToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
        self.registryToken = registryToken
    }

    /// Credentials from CRI's `auth` field: base64 of `username:password`.
    public init(auth: String) throws(BerthError) {
        guard let data = Data(base64Encoded: auth.trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8) else {
            throw BerthError(.invalidArgument, "invalid auth: not base64-encoded UTF-8")
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw BerthError(.invalidArgument, "invalid auth: want base64 of \"username:password\", found no ':'")
        }
        self.init(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    /// The `Authorization` value for HTTP Basic, when a username is set.
    var basicAuthorization: String? {
        guard let username, !username.isEmpty else { return nil }
        let pair = Data("\(username):\(password ?? "")".utf8)
        return "Basic \(pair.base64EncodedString())"
    }

    /// Who these credentials speak for, to keep cached tokens of different users apart.
    var identity: String {
        username ?? (identityToken == nil ? "" : "identity-token")
    }
}
