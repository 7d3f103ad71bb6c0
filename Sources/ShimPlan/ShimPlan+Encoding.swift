extension ShimPlan {
    /// The plan in the wire form `berth-shim` reads: a `berth-plan 1` line, then records of
    /// `<key> <length>\n<bytes>\n`, fields inside a value separated by NUL bytes, numbers in
    /// decimal, masks and MS_* flags in hex, device modes in octal. The mode is not part of
    /// the plan; it is the shim's first argument. Text fields must not contain NUL bytes.
    public func encoded() -> [UInt8] {
        var out = Array("berth-plan 1\n".utf8)
        func raw(_ key: String, _ value: [UInt8]) {
            out += Array("\(key) \(value.count)\n".utf8)
            out += value
            out.append(0x0A)
        }
        func record(_ key: String, _ fields: String...) {
            raw(key, Array(fields.joined(separator: "\u{0}").utf8))
        }
        func hex(_ value: some BinaryInteger) -> String { String(value, radix: 16) }
        func flag(_ value: Bool) -> String { value ? "1" : "0" }

        for namespace in namespaces { record("ns", namespace.kind.rawValue, namespace.path ?? "") }
        for map in uidMappings { record("uid-map", String(map.containerID), String(map.hostID), String(map.size)) }
        for map in gidMappings { record("gid-map", String(map.containerID), String(map.hostID), String(map.size)) }
        if let cgroup { record("cgroup", cgroup) }
        if let root {
            record("root", root.path, root.overlayData ?? "", root.directory ?? "", hex(root.propagation), flag(root.readOnly))
        }
        for mount in mounts {
            record("mount", mount.source, mount.destination, mount.type, hex(mount.flags), mount.data,
                   hex(mount.propagation), hex(mount.remountFlags), mount.targetKind.rawValue, flag(mount.recursiveReadOnly))
        }
        for device in devices {
            record("device", device.path, device.kind.rawValue, String(device.major), String(device.minor),
                   String(device.mode, radix: 8), String(device.uid), String(device.gid))
        }
        for link in symlinks { record("symlink", link.target, link.path) }
        for path in maskedPaths { record("masked", path) }
        for path in readonlyPaths { record("readonly", path) }
        if let hostname { record("hostname", hostname) }
        for sysctl in sysctls { record("sysctl", sysctl.path, sysctl.value) }
        for limit in rlimits { record("rlimit", String(limit.resource), String(limit.soft), String(limit.hard)) }
        if let oomScoreAdj { record("oom-score-adj", String(oomScoreAdj)) }
        if let user {
            record("user", String(user.uid), String(user.gid), user.additionalGids.map(String.init).joined(separator: ","))
        }
        if let capabilities {
            record("caps", hex(capabilities.bounding), hex(capabilities.effective), hex(capabilities.permitted),
                   hex(capabilities.inheritable), hex(capabilities.ambient))
        }
        if noNewPrivileges { record("no-new-privs", "1") }
        if let seccompFilter { raw("seccomp", seccompFilter) }
        record("cwd", cwd)
        for arg in args { record("arg", arg) }
        for variable in env { record("env", variable) }
        if tty { record("tty", "1") }
        if stdin { record("stdin", "1") }
        if stdinOnce { record("stdin-once", "1") }
        if let attachSocket { record("attach", attachSocket) }
        if let logPath { record("log", logPath) }
        if let exitFile { record("exit-file", exitFile) }
        if let stateFile { record("state-file", stateFile) }
        if let memoryEvents { record("memory-events", memoryEvents) }
        return out
    }
}
