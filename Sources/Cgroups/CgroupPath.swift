import BerthBase

/// Where Berth puts pods and containers in the cgroup v2 hierarchy (the cgroupfs driver):
/// `berth/<pod>/<container>`, or below a pod's `cgroup_parent` when the kubelet gives one.
public enum CgroupPath {
    /// The directory below the mount that holds every cgroup Berth makes itself.
    public static let base = "berth"

    /// The cgroup that holds a pod's containers. A `cgroupParent` that is absolute in the
    /// hierarchy (`/kubepods/burstable/pod123`, as the kubelet sends it) is the pod's cgroup
    /// itself; a relative one is taken below `berth/`; none gives `berth/<podID>`.
    public static func pod(_ podID: String, cgroupParent: String? = nil) throws(BerthError) -> String {
        guard let parent = cgroupParent, !parent.isEmpty else {
            return try validated("\(base)/\(try component(podID, what: "pod ID"))")
        }
        if parent.contains(":") {
            // slice:prefix:name is the systemd driver's notation; Berth drives cgroupfs.
            throw BerthError(.invalidArgument, "cgroup parent \(quoted(parent)): systemd-style cgroup parents are not supported (Berth uses the cgroupfs driver)")
        }
        return try validated(parent.hasPrefix("/") ? parent : "\(base)/\(parent)")
    }

    /// The cgroup of one container (or of the pod's sandbox process): `<pod>/<containerID>`.
    public static func container(_ containerID: String, pod: String) throws(BerthError) -> String {
        try validated("\(try validated(pod))/\(try component(containerID, what: "container ID"))")
    }

    /// `path` made relative to the mount (no leading `/`, no empty or `.` components); a `..`,
    /// a NUL or an empty path is refused, as it would leave Berth's part of the hierarchy.
    public static func validated(_ path: String) throws(BerthError) -> String {
        guard !path.utf8.contains(0) else {
            throw BerthError(.invalidArgument, "cgroup path \(quoted(path.replacingNUL)): contains a NUL byte")
        }
        let components = path.split(separator: "/").filter { $0 != "." }
        guard !components.contains("..") else {
            throw BerthError(.invalidArgument, "cgroup path \(quoted(path)): \"..\" is not allowed")
        }
        guard !components.isEmpty else {
            throw BerthError(.invalidArgument, "cgroup path \(quoted(path)): names no cgroup below the root")
        }
        return components.joined(separator: "/")
    }

    /// One path component: no `/`, not `.` or `..`, not empty.
    static func component(_ name: String, what: String) throws(BerthError) -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0) else {
            throw BerthError(.invalidArgument, "\(what) \(quoted(name.replacingNUL)) cannot name a cgroup")
        }
        return name
    }
}

extension String {
    /// The text with NUL shown as `\0`, for messages.
    var replacingNUL: String { split(separator: "\0", omittingEmptySubsequences: false).joined(separator: "\\0") }
}
