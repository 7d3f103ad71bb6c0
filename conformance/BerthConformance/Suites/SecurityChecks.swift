import BerthBase
import CRI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// "Security": namespaces, users and groups, capabilities, masked and read-only paths,
/// seccomp, no-new-privileges, a hostile workload, and user namespaces.
enum SecurityChecks {
    static let all: [Check] =
        [hostPID, podPID, containerPID, hostIPC, podIPC, hostNetwork, podNetwork]
        + [runAsUser, runAsUsername, imageUsername, runAsUserAndGroup, groupWithoutUser, supplementalMerge, supplementalStrict]
        + [readOnlyRootfs, privilegedBridge, unprivilegedBridge, defaultCapabilities, addCapability, dropCapability, addAll, dropAll]
        + [maskedDefault, maskedGiven, readOnlyProcSys]
        + [seccompUnconfined, seccompRuntimeDefault, seccompLocalhost, seccompDeniesWithCapability, seccompPrivileged]
        + [noNewPrivsOn, noNewPrivsOff]
        + hostile
        + [userNamespace, userNamespaceInvalid]

    // MARK: Namespaces

    /// Sets the namespace modes on the pod and its containers alike, as kubelet does.
    static func namespaces(
        pid: Runtime_V1_NamespaceMode = .pod, ipc: Runtime_V1_NamespaceMode = .pod, network: Runtime_V1_NamespaceMode = .pod
    ) -> Runtime_V1_NamespaceOption {
        var options = Runtime_V1_NamespaceOption()
        options.pid = pid
        options.ipc = ipc
        options.network = network
        return options
    }

    static func withNamespaces(
        _ harness: Harness, _ base: String, _ options: Runtime_V1_NamespaceOption, containers: Int = 1,
        _ body: ([String]) async throws -> Void
    ) async throws {
        try await harness.withPod(base, { $0.linux.securityContext.namespaceOptions = options }) { pod in
            var ids: [String] = []
            for index in 0..<containers {
                ids.append(try await pod.run("c\(index)", command: ["sleep", "360\(index)"]) {
                    $0.linux.securityContext.namespaceOptions = options
                })
            }
            try await body(ids)
        }
    }

    static func cmdline(_ harness: Harness, _ id: String, pid: String) async throws -> String {
        try await harness.output(id, ["sh", "-c", "tr '\\0' ' ' < /proc/\(pid)/cmdline"])
    }

    static func namespaceLink(_ harness: Harness, _ id: String, _ kind: String) async throws -> String {
        try await harness.output(id, ["readlink", "/proc/self/ns/\(kind)"])
    }

    static let hostPID = Check("security/host PID namespace sees the host's processes") { harness in
        try await withNamespaces(harness, "host-pid", namespaces(pid: .node)) { ids in
            let hostInit = (HostFiles.read("/proc/1/cmdline") ?? "").replacingOccurrences(of: "\0", with: " ")
                .trimmingCharacters(in: .whitespaces)
            try expectEqual(try await cmdline(harness, ids[0], pid: "1"), hostInit, "PID 1's command line inside")
            try expectEqual(try await namespaceLink(harness, ids[0], "pid"), HostFiles.namespace("pid"), "pid namespace")
            let mine = getpid()
            let seen = try await harness.shell(ids[0], "test -d /proc/\(mine)")
            try expectEqual(seen.code, 0, "the harness's process \(mine) visible inside")
        }
    }

    static let podPID = Check("security/pod PID namespace: PID 1 is the sandbox's, shared by the pod") { harness in
        try await withNamespaces(harness, "pod-pid", namespaces(pid: .pod), containers: 2) { ids in
            let first = try await cmdline(harness, ids[0], pid: "1")
            try expect(first != "sleep 3600" && first != "sleep 3601", "PID 1 inside is the container's own command (\(first))")
            try expect(try await namespaceLink(harness, ids[0], "pid") != HostFiles.namespace("pid"), "the pod shares the host's pid namespace")
            let processes = try await harness.output(ids[1], ["ps", "-o", "args"])
            try expect(
                processes.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "sleep 3600" },
                "the second container does not see the first one's process: \(processes)")
        }
    }

    static let containerPID = Check("security/container PID namespace: PID 1 is the container's process") { harness in
        try await withNamespaces(harness, "container-pid", namespaces(pid: .container), containers: 2) { ids in
            try expectEqual(try await cmdline(harness, ids[0], pid: "1"), "sleep 3600", "PID 1's command line in the first container")
            try expectEqual(try await cmdline(harness, ids[1], pid: "1"), "sleep 3601", "PID 1's command line in the second container")
        }
    }

    static let hostIPC = Check("security/host IPC namespace is the host's") { harness in
        try await withNamespaces(harness, "host-ipc", namespaces(ipc: .node)) { ids in
            try expectEqual(try await namespaceLink(harness, ids[0], "ipc"), HostFiles.namespace("ipc"), "ipc namespace")
        }
    }

    static let podIPC = Check("security/pod IPC namespace is the pod's own, shared by its containers") { harness in
        try await withNamespaces(harness, "pod-ipc", namespaces(ipc: .pod), containers: 2) { ids in
            let first = try await namespaceLink(harness, ids[0], "ipc")
            try expect(first != HostFiles.namespace("ipc"), "the pod shares the host's ipc namespace (\(first))")
            try expectEqual(try await namespaceLink(harness, ids[1], "ipc"), first, "ipc namespace of the second container")
        }
    }

    static let hostNetwork = Check("security/host network namespace is the host's") { harness in
        try await withNamespaces(harness, "host-net", namespaces(network: .node)) { ids in
            try expectEqual(try await namespaceLink(harness, ids[0], "net"), HostFiles.namespace("net"), "net namespace")
        }
    }

    static let podNetwork = Check("security/pod network namespace is the pod's own, shared by its containers") { harness in
        try await withNamespaces(harness, "pod-net", namespaces(network: .pod), containers: 2) { ids in
            let first = try await namespaceLink(harness, ids[0], "net")
            try expect(first != HostFiles.namespace("net"), "the pod shares the host's net namespace (\(first))")
            try expectEqual(try await namespaceLink(harness, ids[1], "net"), first, "net namespace of the second container")
        }
    }

    // MARK: Users and groups

    /// Runs one sleeping probe container configured by `configure` and returns the output of
    /// `command` run in it.
    static func probeOutput(
        _ harness: Harness, _ base: String, _ command: [String],
        pod configurePod: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in },
        image: String? = nil,
        _ configure: (inout Runtime_V1_ContainerConfig) -> Void
    ) async throws -> String {
        try await harness.withPod(base, configurePod) { pod in
            var config = pod.containerConfig("c", image: image)
            configure(&config)
            let id = try await pod.create(config)
            try await harness.start(id)
            return try await harness.output(id, command)
        }
    }

    static func groups(_ text: String) -> Set<Int> {
        Set(text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) })
    }

    static let runAsUser = Check("security/run as user 1002") { harness in
        let ids = try await probeOutput(harness, "uid", ["/probe", "ids"]) { $0.linux.securityContext.runAsUser.value = 1002 }
        try expectEqual(ids, "uid=1002 euid=1002 gid=0 egid=0", "ids")
    }

    static let runAsUsername = Check("security/run as username www-data") { harness in
        let ids = try await probeOutput(harness, "username", ["sh", "-c", "/probe ids; id -G"]) {
            $0.linux.securityContext.runAsUsername = "www-data"
        }
        let lines = ids.split(separator: "\n").map(String.init)
        try expectEqual(lines.first, "uid=33 euid=33 gid=33 egid=33", "ids of www-data")
        try expectEqual(groups(lines.last ?? ""), [33, 100], "groups of www-data (33, and users from /etc/group)")
    }

    static let imageUsername = Check("security/image USER www-data is used", uses: ["busybox-user-www-data"]) { harness in
        let image = harness.reference("busybox-user-www-data:latest")
        try await harness.ensureImage(image)
        let ids = try await probeOutput(harness, "image-user", ["sh", "-c", "id -u; id -g"], image: image) { _ in }
        try expectEqual(ids, "33\n33", "uid and gid from the image's USER www-data")
    }

    static let runAsUserAndGroup = Check("security/run as user 1002 and group 1005") { harness in
        let ids = try await probeOutput(harness, "uid-gid", ["/probe", "ids"]) {
            $0.linux.securityContext.runAsUser.value = 1002
            $0.linux.securityContext.runAsGroup.value = 1005
        }
        try expectEqual(ids, "uid=1002 euid=1002 gid=1005 egid=1005", "ids")
    }

    static let groupWithoutUser = Check("security/run as group without a user is invalid_argument") { harness in
        try await harness.withPod("gid-only") { pod in
            _ = try await expectError([.invalidArgument], "CreateContainer with run_as_group and no user") {
                try await pod.create("c") { $0.linux.securityContext.runAsGroup.value = 1005 }
            }
        }
    }

    static let supplementalMerge = Check("security/supplemental groups merge with the image's groups") { harness in
        let text = try await probeOutput(harness, "groups-merge", ["id", "-G"]) {
            $0.linux.securityContext.runAsUser.value = 33
            $0.linux.securityContext.supplementalGroups = [1234, 5678]
            $0.linux.securityContext.supplementalGroupsPolicy = .merge
        }
        try expectEqual(groups(text), [33, 100, 1234, 5678], "groups of uid 33 (www-data, in users) with 1234 and 5678")
    }

    static let supplementalStrict = Check("security/supplemental groups with the Strict policy leave out the image's") { harness in
        let text = try await probeOutput(harness, "groups-strict", ["id", "-G"]) {
            $0.linux.securityContext.runAsUser.value = 33
            $0.linux.securityContext.supplementalGroups = [1234]
            $0.linux.securityContext.supplementalGroupsPolicy = .strict
        }
        try expectEqual(groups(text), [33, 1234], "groups under the Strict policy")
    }

    // MARK: Root file system, privilege and capabilities

    static let readOnlyRootfs = Check("security/read-only root file system") { harness in
        try await harness.withPod("ro-rootfs") { pod in
            let id = try await pod.run("c") { $0.linux.securityContext.readonlyRootfs = true }
            for path in ["/written", "/etc/written", "/tmp/written"] {
                let write = try await harness.shell(id, "echo x > \(path)")
                try expect(write.code != 0, "writing \(path) on a read-only root file system succeeded")
            }
            try expectEqual(try await harness.output(id, ["cat", "/etc/hostname"]).isEmpty, false, "/etc/hostname is empty")
        }
    }

    static let bridge = "ip link add berthbr0 type bridge"

    static let privilegedBridge = Check("security/a privileged container may add a bridge") { harness in
        try await harness.withPod("privileged", { $0.linux.securityContext.privileged = true }) { pod in
            let id = try await pod.run("c") { $0.linux.securityContext.privileged = true }
            let result = try await harness.shell(id, bridge)
            try expectEqual(result.code, 0, "\(bridge) in a privileged container (\(result.text))")
            try expect(!FileSystem.exists("/sys/class/net/berthbr0"), "the bridge appeared on the host")
        }
    }

    static let unprivilegedBridge = Check("security/an unprivileged container may not add a bridge") { harness in
        try await harness.withPod("unprivileged") { pod in
            let id = try await pod.run("c")
            let result = try await harness.shell(id, bridge)
            try expect(result.code != 0, "\(bridge) succeeded without privilege")
        }
    }

    /// `CapEff:` and friends from `/probe caps`, as bit masks.
    static func capabilities(_ text: String) throws -> [String: UInt64] {
        var fields: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            fields[String(parts[0])] = UInt64(value, radix: 16) ?? UInt64(value) ?? 0
        }
        try expect(fields["CapEff"] != nil && fields["Seccomp"] != nil, "probe caps printed \(text.debugDescription)")
        return fields
    }

    static func caps(
        _ harness: Harness, _ base: String, pod configurePod: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in },
        _ configure: (inout Runtime_V1_ContainerConfig) -> Void
    ) async throws -> [String: UInt64] {
        try capabilities(try await probeOutput(harness, base, ["/probe", "caps"], pod: configurePod, configure))
    }

    static func bit(_ number: Int) -> UInt64 { 1 << UInt64(number) }
    static let capChown = 0, capKill = 5, capSetgid = 6, capSetuid = 7, capNetBindService = 10, capNetAdmin = 12
    static let capSysModule = 16, capSysPtrace = 19, capSysAdmin = 21, capSysBoot = 22, capSysTime = 25

    /// Every capability a runtime on this host can hand out: the bounding set of the harness,
    /// a root process on the daemon's host (containerd grants its own current set for ALL and
    /// for privileged containers; a capability outside it cannot be raised).
    static var allCapabilities: UInt64 {
        let status = HostFiles.read("/proc/self/status") ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }
        return line.flatMap { UInt64($0.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
    }

    static let defaultCapabilities = Check("security/default capabilities are a small set") { harness in
        let caps = try await caps(harness, "caps-default") { _ in }
        let effective = caps["CapEff"] ?? 0
        for (name, number) in [("CHOWN", capChown), ("KILL", capKill), ("SETUID", capSetuid), ("SETGID", capSetgid), ("NET_BIND_SERVICE", capNetBindService)] {
            try expect(effective & bit(number) != 0, "CAP_\(name) missing from the default CapEff \(String(effective, radix: 16))")
        }
        for (name, number) in [("NET_ADMIN", capNetAdmin), ("SYS_MODULE", capSysModule), ("SYS_PTRACE", capSysPtrace), ("SYS_ADMIN", capSysAdmin), ("SYS_BOOT", capSysBoot), ("SYS_TIME", capSysTime)] {
            try expect(effective & bit(number) == 0, "CAP_\(name) in the default CapEff \(String(effective, radix: 16))")
        }
        try expectEqual(caps["CapBnd"], effective, "bounding set vs effective set")
    }

    static let addCapability = Check("security/adding NET_ADMIN allows adding a bridge") { harness in
        try await harness.withPod("cap-add") { pod in
            let id = try await pod.run("c") { $0.linux.securityContext.capabilities.addCapabilities = ["NET_ADMIN"] }
            let caps = try capabilities(try await harness.output(id, ["/probe", "caps"]))
            try expect((caps["CapEff"] ?? 0) & bit(capNetAdmin) != 0, "CAP_NET_ADMIN not effective after adding it")
            let result = try await harness.shell(id, bridge)
            try expectEqual(result.code, 0, "\(bridge) with NET_ADMIN (\(result.text))")
        }
    }

    static let dropCapability = Check("security/dropping CHOWN forbids chown") { harness in
        try await harness.withPod("cap-drop") { pod in
            let id = try await pod.run("c") { $0.linux.securityContext.capabilities.dropCapabilities = ["CHOWN"] }
            let caps = try capabilities(try await harness.output(id, ["/probe", "caps"]))
            try expect((caps["CapEff"] ?? 0) & bit(capChown) == 0, "CAP_CHOWN still effective after dropping it")
            let result = try await harness.shell(id, "touch /tmp/f && chown 1234 /tmp/f")
            try expect(result.code != 0, "chown to another user succeeded without CAP_CHOWN")
        }
    }

    static let addAll = Check("security/adding ALL gives every capability") { harness in
        let caps = try await caps(harness, "cap-all") { $0.linux.securityContext.capabilities.addCapabilities = ["ALL"] }
        let all = allCapabilities
        try expectEqual(String(caps["CapEff"] ?? 0, radix: 16), String(all, radix: 16), "CapEff after adding ALL (the host's bounding set)")
    }

    static let dropAll = Check("security/dropping ALL leaves no capability") { harness in
        let caps = try await caps(harness, "cap-none") { $0.linux.securityContext.capabilities.dropCapabilities = ["ALL"] }
        try expectEqual(caps["CapEff"], 0, "CapEff after dropping ALL")
        try expectEqual(caps["CapPrm"], 0, "CapPrm after dropping ALL")
    }

    // MARK: Masked and read-only paths

    static let kcoreBytes = "head -c 64 /proc/kcore 2>/dev/null | wc -c"

    static let maskedDefault = Check("security/masked paths: /proc/kcore reads nothing") { harness in
        try await harness.withPod("masked") { pod in
            let id = try await pod.run("c")
            try expectEqual(try await harness.shell(id, kcoreBytes).text, "0", "bytes read from /proc/kcore")
        }
    }

    static let maskedGiven = Check("security/masked paths from the config are masked") { harness in
        try await harness.withPod("masked-given") { pod in
            let id = try await pod.run("c") { $0.linux.securityContext.maskedPaths = ["/proc/kcore", "/proc/cpuinfo"] }
            try expectEqual(try await harness.shell(id, "cat /proc/cpuinfo 2>/dev/null | wc -c").text, "0", "bytes read from /proc/cpuinfo")
            try expectEqual(try await harness.shell(id, kcoreBytes).text, "0", "bytes read from /proc/kcore")
        }
    }

    static let readOnlyProcSys = Check("security/read-only paths: /proc/sys is not writable") { harness in
        try await harness.withPod("ro-paths") { pod in
            let id = try await pod.run("c")
            let before = try await harness.output(id, ["cat", "/proc/sys/kernel/shm_rmid_forced"])
            let flipped = before == "1" ? "0" : "1"
            let write = try await harness.shell(id, "echo \(flipped) > /proc/sys/kernel/shm_rmid_forced")
            try expect(write.code != 0, "writing /proc/sys/kernel/shm_rmid_forced succeeded")
            try expectEqual(try await harness.output(id, ["cat", "/proc/sys/kernel/shm_rmid_forced"]), before, "value after the write")
        }
    }

    // MARK: Seccomp

    static func profile(_ type: Runtime_V1_SecurityProfile.ProfileType, _ path: String = "") -> Runtime_V1_SecurityProfile {
        var profile = Runtime_V1_SecurityProfile()
        profile.profileType = type
        profile.localhostRef = path
        return profile
    }

    /// Writes a profile allowing everything but `syscalls` (EPERM) and runs `body` with its path.
    static func withProfile<T>(denying syscalls: [String], _ body: (String) async throws -> T) async throws -> T {
        let directory = try HostFiles.temporaryDirectory("berth-conformance-seccomp")
        defer { try? FileSystem.removeTree(directory) }
        let names = syscalls.map { "\"\($0)\"" }.joined(separator: ",")
        let path = "\(directory)/profile.json"
        try HostFiles.write(
            #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[\#(names)],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
            to: path)
        return try await body(path)
    }

    static let seccompUnconfined = Check("security/seccomp unconfined") { harness in
        let caps = try await caps(harness, "seccomp-unconfined") { $0.linux.securityContext.seccomp = profile(.unconfined) }
        try expectEqual(caps["Seccomp"], 0, "Seccomp mode")
    }

    static let seccompRuntimeDefault = Check("security/seccomp runtime default filters") { harness in
        let caps = try await caps(harness, "seccomp-default") { $0.linux.securityContext.seccomp = profile(.runtimeDefault) }
        try expectEqual(caps["Seccomp"], 2, "Seccomp mode")
    }

    static let seccompLocalhost = Check("security/seccomp localhost profile denying chmod") { harness in
        try await withProfile(denying: ["chmod", "fchmodat"]) { path in
            try await harness.withPod("seccomp-localhost") { pod in
                let id = try await pod.run("c") { $0.linux.securityContext.seccomp = profile(.localhost, path) }
                try expectEqual(try await harness.output(id, ["/probe", "syscall", "chmod"]), "EPERM", "chmod under the profile")
                try expectEqual(try await harness.output(id, ["/probe", "syscall", "chown"]), "ok", "chown under the profile")
                let shell = try await harness.shell(id, "touch /tmp/f && chmod 600 /tmp/f")
                try expect(shell.code != 0, "busybox chmod succeeded under a profile denying chmod")
            }
        }
    }

    static let seccompDeniesWithCapability = Check("security/seccomp profile denies sethostname even with SYS_ADMIN") { harness in
        try await withProfile(denying: ["sethostname"]) { path in
            try await harness.withPod("seccomp-sysadmin") { pod in
                let id = try await pod.run("c") { config in
                    config.linux.securityContext.seccomp = profile(.localhost, path)
                    config.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]
                }
                try expectEqual(try await harness.output(id, ["/probe", "syscall", "setns"]), "ok", "setns (needs SYS_ADMIN)")
                try expectEqual(try await harness.output(id, ["/probe", "syscall", "sethostname"]), "EPERM", "sethostname under the profile")
            }
        }
    }

    static let seccompPrivileged = Check("security/a privileged container ignores seccomp") { harness in
        try await withProfile(denying: ["chmod", "fchmodat"]) { path in
            try await harness.withPod("seccomp-privileged", { $0.linux.securityContext.privileged = true }) { pod in
                let id = try await pod.run("c") { config in
                    config.linux.securityContext.privileged = true
                    config.linux.securityContext.seccomp = profile(.localhost, path)
                }
                try expectEqual(try await harness.output(id, ["/probe", "syscall", "chmod"]), "ok", "chmod in a privileged container")
                let caps = try capabilities(try await harness.output(id, ["/probe", "caps"]))
                try expectEqual(caps["Seccomp"], 0, "Seccomp mode of a privileged container")
            }
        }
    }

    // MARK: No new privileges

    static func setuidIDs(_ harness: Harness, noNewPrivs: Bool) async throws -> String {
        try await probeOutput(harness, "nnp", ["sh", "-c", "/probe-setuid ids; /probe caps | grep NoNewPrivs"]) { config in
            config.linux.securityContext.runAsUser.value = 1000
            config.linux.securityContext.runAsGroup.value = 1000
            config.linux.securityContext.noNewPrivs = noNewPrivs
        }
    }

    static let noNewPrivsOn = Check("security/no-new-privileges stops a set-uid binary gaining root") { harness in
        let lines = try await setuidIDs(harness, noNewPrivs: true).split(separator: "\n").map(String.init)
        try expectEqual(lines.first, "uid=1000 euid=1000 gid=1000 egid=1000", "ids from /probe-setuid")
        try expectEqual(lines.last?.split(whereSeparator: \.isWhitespace).last, "1", "NoNewPrivs")
    }

    static let noNewPrivsOff = Check("security/without no-new-privileges a set-uid binary gains root") { harness in
        let lines = try await setuidIDs(harness, noNewPrivs: false).split(separator: "\n").map(String.init)
        try expectEqual(lines.first, "uid=1000 euid=0 gid=1000 egid=1000", "ids from /probe-setuid")
        try expectEqual(lines.last?.split(whereSeparator: \.isWhitespace).last, "0", "NoNewPrivs")
    }

    // MARK: A hostile workload under the default profile

    static let denied: Set<String> = ["EPERM", "EACCES"]

    static func hostileCheck(_ what: String, _ body: @escaping @Sendable (Harness, String) async throws -> Void) -> Check {
        Check("security/hostile workload under the default profile cannot \(what)") { harness in
            try await harness.withPod("hostile") { pod in
                let id = try await pod.run("c") { $0.linux.securityContext.seccomp = profile(.runtimeDefault) }
                try await body(harness, id)
            }
        }
    }

    static func syscall(_ harness: Harness, _ id: String, _ name: String) async throws -> String {
        try await harness.output(id, ["/probe", "syscall", name])
    }

    static let hostile: [Check] = [
        hostileCheck("mount") { harness, id in
            let result = try await syscall(harness, id, "mount")
            try expect(denied.contains(result), "mount: \(result)")
            let shell = try await harness.shell(id, "mount -t tmpfs none /mnt")
            try expect(shell.code != 0, "busybox mount succeeded")
        },
        hostileCheck("load a kernel module") { harness, id in
            for name in ["init_module", "finit_module"] {
                let result = try await syscall(harness, id, name)
                // ENOSYS: the kernel has no module support at all, which also means no module loads.
                try expect(denied.contains(result) || result == "ENOSYS", "\(name): \(result)")
            }
        },
        hostileCheck("use keyctl") { harness, id in
            for name in ["keyctl", "add_key"] {
                let result = try await syscall(harness, id, name)
                try expect(denied.contains(result), "\(name): \(result)")
            }
        },
        hostileCheck("read /proc/kcore") { harness, id in
            try expectEqual(try await harness.shell(id, kcoreBytes).text, "0", "bytes read from /proc/kcore")
        },
        hostileCheck("write /proc/sys") { harness, id in
            let write = try await harness.shell(id, "echo 1 > /proc/sys/kernel/shm_rmid_forced || echo 1 > /proc/sys/vm/drop_caches")
            try expect(write.code != 0, "a write into /proc/sys succeeded")
        },
        hostileCheck("write /sys") { harness, id in
            let write = try await harness.shell(id, "echo x > /sys/kernel/uevent_helper || mkdir /sys/fs/cgroup/berth-hostile")
            try expect(write.code != 0, "a write into /sys succeeded")
            let mounts = try await harness.output(id, ["cat", "/proc/mounts"])
            let sys = mounts.split(separator: "\n").map { $0.split(separator: " ") }.first { $0.count > 3 && $0[1] == "/sys" }
            try expect(sys.map { $0[3].split(separator: ",").contains("ro") } ?? false, "/sys is not mounted read-only: \(sys.map { $0.joined(separator: " ") } ?? "not mounted")")
        },
        hostileCheck("escape to the host's root") { harness, id in
            let marker = "/tmp/berth-conformance-escape-\(UUID().uuidString)"
            try HostFiles.write("host\n", to: marker)
            defer { unlink(marker) }
            try expectEqual(try await harness.output(id, ["/probe", "escape", marker]), "contained", "chroot escape")
        },
        hostileCheck("use other privileged system calls") { harness, id in
            var allowed: [String] = []
            for name in ["umount2", "unshare", "setns", "reboot", "sethostname", "pivot_root", "bpf", "kexec_load", "open_by_handle_at", "swapon"] {
                let result = try await syscall(harness, id, name)
                if !denied.contains(result) && result != "ENOSYS" { allowed.append("\(name): \(result)") }
            }
            try expect(allowed.isEmpty, "allowed: \(allowed.joined(separator: ", "))")
        },
    ]

    // MARK: User namespaces

    static func userns(_ mode: Runtime_V1_NamespaceMode, uids: [(UInt32, UInt32, UInt32)], gids: [(UInt32, UInt32, UInt32)]) -> Runtime_V1_UserNamespace {
        var options = Runtime_V1_UserNamespace()
        options.mode = mode
        options.uids = uids.map { mapping($0) }
        options.gids = gids.map { mapping($0) }
        return options
    }

    static func mapping(_ triple: (UInt32, UInt32, UInt32)) -> Runtime_V1_IDMapping {
        var mapping = Runtime_V1_IDMapping()
        mapping.containerID = triple.0
        mapping.hostID = triple.1
        mapping.length = triple.2
        return mapping
    }

    static let userNamespace = Check("security/user namespace maps the pod's ids") { harness in
        let options = userns(.pod, uids: [(0, 200_000, 65_536)], gids: [(0, 200_000, 65_536)])
        let features = try await harness.handlerFeatures()
        do {
            try await harness.withPod("userns", { $0.linux.securityContext.namespaceOptions.usernsOptions = options }) { pod in
                let id = try await pod.run("c") { $0.linux.securityContext.namespaceOptions.usernsOptions = options }
                let map = try await harness.output(id, ["cat", "/proc/self/uid_map"])
                try expectEqual(map.split(whereSeparator: \.isWhitespace), ["0", "200000", "65536"], "uid_map inside")
                try expect(try await namespaceLink(harness, id, "user") != HostFiles.namespace("user"), "user namespace is the host's")
            }
        } catch let error as BerthError {
            // A daemon that says it has no user namespaces may refuse them, clearly.
            if features?.userNamespaces == false, [.unimplemented, .failedPrecondition, .invalidArgument].contains(error.code),
               error.message.lowercased().contains("user namespace") {
                throw CheckSkipped(reason: "berthd refuses user namespaces and reports user_namespaces false: \(error.message)")
            }
            throw CheckFailure(reason: "pod with a user namespace: \(error)")
        }
    }

    static let userNamespaceInvalid = Check("security/invalid user namespace configs are invalid_argument") { harness in
        let cases: [(String, Runtime_V1_UserNamespace)] = [
            ("mode POD without mappings", userns(.pod, uids: [], gids: [])),
            ("mode POD with uid mappings only", userns(.pod, uids: [(0, 200_000, 65_536)], gids: [])),
            ("mode NODE with mappings", userns(.node, uids: [(0, 200_000, 65_536)], gids: [(0, 200_000, 65_536)])),
            ("mode CONTAINER", userns(.container, uids: [(0, 200_000, 65_536)], gids: [(0, 200_000, 65_536)])),
            ("mode TARGET", userns(.target, uids: [(0, 200_000, 65_536)], gids: [(0, 200_000, 65_536)])),
            ("a mapping of length 0", userns(.pod, uids: [(0, 200_000, 0)], gids: [(0, 200_000, 65_536)])),
        ]
        try await harness.ensureImage(harness.probeImage)
        for (what, options) in cases {
            var config = try harness.podConfig("userns-invalid")
            defer { try? FileSystem.removeTree(config.logDirectory) }
            config.linux.securityContext.namespaceOptions.usernsOptions = options
            do {
                _ = try await expectError([.invalidArgument], "RunPodSandbox with \(what)") { try await harness.runPodSandbox(config) }
            } catch {
                for pod in (try? await harness.listPods()) ?? [] where pod.metadata.name == config.metadata.name {
                    try? await harness.stopPod(pod.id)
                    try? await harness.removePod(pod.id)
                }
                throw error
            }
        }
    }
}
