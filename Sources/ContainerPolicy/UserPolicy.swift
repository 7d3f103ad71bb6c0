import BerthBase
import RuntimeSpec

/// One line of an `/etc/passwd`.
public struct PasswdEntry: Sendable, Equatable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32
    public var home: String
}

/// One line of an `/etc/group`.
public struct GroupEntry: Sendable, Equatable {
    public var name: String
    public var gid: UInt32
    public var members: [String]
}

/// Reads the image's `/etc/passwd` and `/etc/group`, skipping lines that do not parse
/// (as libc and containerd's user package do).
public enum UserDatabase {
    public static func passwd(_ text: String?) -> [PasswdEntry] {
        guard let text else { return [] }
        return lines(text).compactMap { fields in
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return PasswdEntry(name: fields[0], uid: uid, gid: gid, home: fields.count > 5 ? fields[5] : "")
        }
    }

    public static func group(_ text: String?) -> [GroupEntry] {
        guard let text else { return [] }
        return lines(text).compactMap { fields in
            guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
            let members = fields.count > 3 ? fields[3].split(separator: ",").map { $0.trimmingSpaces } : []
            return GroupEntry(name: fields[0], gid: gid, members: members.filter { !$0.isEmpty })
        }
    }

    private static func lines(_ text: String) -> [[String]] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let line = line.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { return nil }
            return line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
    }
}

/// The process user: which string names it (CRI fields, else the image's `User`), and how
/// that string resolves against the image's user database.
public enum UserPolicy {
    /// containerd's `generateUserString`: `run_as_username` wins over `run_as_user`; a group
    /// needs a user. Empty: no user given in the request.
    public static func requestedUser(username: String, uid: Int64?, gid: Int64?) throws(BerthError) -> String {
        var user = ""
        if let uid {
            guard uid >= 0, uid <= Int64(UInt32.max) else {
                throw BerthError(.invalidArgument, "linux.security_context.run_as_user: \(uid) is not a valid uid")
            }
            user = String(uid)
        }
        if !username.isEmpty { user = username }
        if let gid {
            guard gid >= 0, gid <= Int64(UInt32.max) else {
                throw BerthError(.invalidArgument, "linux.security_context.run_as_group: \(gid) is not a valid gid")
            }
            guard !user.isEmpty else {
                throw BerthError(.invalidArgument, "linux.security_context.run_as_group: requires run_as_user or run_as_username")
            }
            return "\(user):\(gid)"
        }
        return user
    }

    /// Resolves `user[:group]` (`1002`, `www-data`, `1003:1004`, `www-data:staff`).
    /// A numeric user missing from passwd runs with gid 0 (or its given group); a name
    /// missing from passwd or group is an error naming `field`.
    /// Supplemental groups: with `strict`, the primary gid and `supplementalGroups`; otherwise
    /// also every group of /etc/group that lists the user by name. The primary gid comes first.
    public static func resolve(_ spec: String, field: String, passwd: [PasswdEntry], groups: [GroupEntry],
                               supplementalGroups: [Int64] = [], strict: Bool = false) throws(BerthError) -> User {
        let spec = spec.isEmpty ? "0" : spec
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : nil

        var uid: UInt32
        var gid: UInt32 = 0
        var name: String?
        if let number = UInt32(userPart) {
            uid = number
            if let entry = passwd.first(where: { $0.uid == number }) {
                gid = entry.gid
                name = entry.name
            }
        } else {
            guard !userPart.isEmpty, let entry = passwd.first(where: { $0.name == userPart }) else {
                throw BerthError(.invalidArgument, "\(field): user \"\(userPart)\" is not in the image's /etc/passwd")
            }
            uid = entry.uid
            gid = entry.gid
            name = entry.name
        }
        if let groupPart {
            if let number = UInt32(groupPart) {
                gid = number
            } else {
                guard !groupPart.isEmpty, let entry = groups.first(where: { $0.name == groupPart }) else {
                    throw BerthError(.invalidArgument, "\(field): group \"\(groupPart)\" is not in the image's /etc/group")
                }
                gid = entry.gid
            }
        }

        var additional: [UInt32] = [gid]
        func add(_ value: UInt32) { if !additional.contains(value) { additional.append(value) } }
        if !strict, let name {
            for group in groups where group.name != name && group.members.contains(name) { add(group.gid) }
        }
        for value in supplementalGroups {
            guard value >= 0, value <= Int64(UInt32.max) else {
                throw BerthError(.invalidArgument, "linux.security_context.supplemental_groups: \(value) is not a valid gid")
            }
            add(UInt32(value))
        }
        return User(uid: uid, gid: gid, additionalGids: additional)
    }
}
