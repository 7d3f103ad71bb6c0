import BerthBase
import CRI
import RuntimeSpec

/// Device nodes and the device cgroup rules of a container.
public enum DevicePolicy {
    /// The nodes every container gets (runc's defaults; `/dev/ptmx`, `/dev/fd`, … are links
    /// the shim makes).
    public static let defaults: [Device] = [
        Device(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0),
        Device(type: "c", path: "/dev/zero", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0),
        Device(type: "c", path: "/dev/full", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0),
        Device(type: "c", path: "/dev/random", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0),
        Device(type: "c", path: "/dev/urandom", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0),
        Device(type: "c", path: "/dev/tty", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0),
    ]

    /// Deny everything, then allow mknod of any node and use of the default nodes, the
    /// console, ptmx, the pts and /dev/net/tun (runc's allow list).
    public static let defaultRules: [Resources.DeviceRule] = {
        var rules = [Resources.DeviceRule(allow: false, access: "rwm"),
                     Resources.DeviceRule(allow: true, type: "c", access: "m"),
                     Resources.DeviceRule(allow: true, type: "b", access: "m")]
        for (major, minor) in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (10, 200)] as [(Int64, Int64)] {
            rules.append(Resources.DeviceRule(allow: true, type: "c", major: major, minor: minor, access: "rwm"))
        }
        rules.append(Resources.DeviceRule(allow: true, type: "c", major: 136, access: "rwm"))
        return rules
    }()

    /// Privileged: every host device and an allow-all rule. Otherwise the defaults plus the
    /// CRI `devices`, each found among the host's devices by its host path.
    public static func devices(requested: [Runtime_V1_Device], privileged: Bool, hostDevices: [Device])
        throws(BerthError) -> (devices: [Device], rules: [Resources.DeviceRule]) {
        var devices = privileged ? hostDevices : defaults
        var rules = privileged ? [Resources.DeviceRule(allow: true, access: "rwm")] : defaultRules
        for (index, request) in requested.enumerated() {
            let field = "devices[\(index)]"
            guard let host = hostDevices.first(where: { $0.path == request.hostPath }) else {
                throw BerthError(.notFound, "\(field).host_path: \"\(request.hostPath)\" is not a device on this host")
            }
            let destination = request.containerPath.isEmpty ? request.hostPath : request.containerPath
            guard destination.hasPrefix("/") else {
                throw BerthError(.invalidArgument, "\(field).container_path: \"\(destination)\" is not an absolute path")
            }
            let access = request.permissions.isEmpty ? "rwm" : request.permissions
            guard access.allSatisfy({ "rwm".contains($0) }) else {
                throw BerthError(.invalidArgument, "\(field).permissions: \"\(access)\" is not made of r, w and m")
            }
            var device = host
            device.path = destination
            devices.removeAll { $0.path == destination }
            devices.append(device)
            if !privileged {
                rules.append(Resources.DeviceRule(allow: true, type: host.type, major: host.major, minor: host.minor, access: access))
            }
        }
        return (devices, rules)
    }
}
