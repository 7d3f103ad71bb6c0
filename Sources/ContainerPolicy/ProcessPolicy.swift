import BerthBase

/// The process's command line, environment and working directory, composed the way
/// containerd composes them from the CRI request and the image config.
public enum ProcessPolicy {
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// `command` replaces the image's entrypoint and `args` its cmd; when `command` is
    /// given without `args`, the image's cmd is not used. An image entrypoint of `[""]`
    /// counts as none.
    public static func args(command: [String], args: [String], entrypoint: [String]?, cmd: [String]?) throws(BerthError) -> [String] {
        var command = command
        var args = args
        if command.isEmpty {
            if args.isEmpty { args = cmd ?? [] }
            let entrypoint = entrypoint ?? []
            if !(entrypoint.count == 1 && entrypoint[0].isEmpty) { command = entrypoint }
        }
        let all = command + args
        if all.isEmpty {
            throw BerthError(.invalidArgument,
                             "command: no command specified: the request has no command or args and the image no entrypoint or cmd")
        }
        return all
    }

    /// The default PATH, then `HOSTNAME`, then the image's env, then the request's; a later
    /// entry with the same key replaces the earlier one in place.
    public static func env(image: [String]?, request: [(key: String, value: String)], hostname: String?) -> [String] {
        var env = [defaultPath]
        if let hostname { set(&env, "HOSTNAME=\(hostname)") }
        for entry in image ?? [] { set(&env, entry) }
        for entry in request where !entry.key.isEmpty { set(&env, "\(entry.key)=\(entry.value)") }
        return env
    }

    private static func set(_ env: inout [String], _ entry: String) {
        let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if let index = env.firstIndex(where: { $0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0] == key }) {
            env[index] = entry
        } else {
            env.append(entry)
        }
    }

    /// The request's working directory, else the image's, else `/`.
    public static func workingDirectory(request: String, image: String?) throws(BerthError) -> String {
        if !request.isEmpty {
            guard request.hasPrefix("/") else {
                throw BerthError(.invalidArgument, "working_dir: \"\(request)\" is not an absolute path")
            }
            return request
        }
        if let image, !image.isEmpty {
            guard image.hasPrefix("/") else {
                throw BerthError(.invalidArgument, "image config WorkingDir: \"\(image)\" is not an absolute path")
            }
            return image
        }
        return "/"
    }
}
