/// The user an image's config names, split the way CRI reports it: `uid` only when the user
/// part is numeric, `username` otherwise (a group after `:` does not change either).
public struct ImageUser: Sendable, Equatable {
    public var uid: Int64?
    public var username: String
    public var group: String?

    public init(uid: Int64? = nil, username: String = "", group: String? = nil) {
        self.uid = uid
        self.username = username
        self.group = group
    }

    /// Reads the config's `User` field: `1002`, `www-data`, `1003:1004`, `www-data:staff`, or empty.
    public init(configUser: String?) {
        let text = configUser ?? ""
        let user: Substring
        if let colon = text.firstIndex(of: ":") {
            user = text[..<colon]
            let group = text[text.index(after: colon)...]
            self.group = group.isEmpty ? nil : String(group)
        } else {
            user = Substring(text)
            self.group = nil
        }
        if let uid = Int64(user), uid >= 0 {
            self.uid = uid
            self.username = ""
        } else {
            self.uid = nil
            self.username = String(user)
        }
    }
}
