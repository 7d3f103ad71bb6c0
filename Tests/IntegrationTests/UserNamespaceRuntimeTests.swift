import BerthBase
import BerthClient
import CRI
import Foundation
import StreamProtocol
import Testing

/// Pods with a user namespace of their own (`userns_options` mode POD) through a real berthd:
/// container 0 is host 100000, and neither the container nor an exec in it is host root.
@Suite(.serialized, .enabled(if: TestEnvironment.ready, TestEnvironment.reason))
struct UserNamespaceRuntimeTests {
    static func mapping(_ container: UInt32, _ host: UInt32, _ length: UInt32) -> Runtime_V1_IDMapping {
        var mapping = Runtime_V1_IDMapping()
        mapping.containerID = container
        mapping.hostID = host
        mapping.length = length
        return mapping
    }

    static func userns(_ mode: Runtime_V1_NamespaceMode, uids: [Runtime_V1_IDMapping],
                       gids: [Runtime_V1_IDMapping]) -> Runtime_V1_UserNamespace {
        var options = Runtime_V1_UserNamespace()
        options.mode = mode
        options.uids = uids
        options.gids = gids
        return options
    }

    static let podUserns = userns(.pod, uids: [mapping(0, 100000, 65536)], gids: [mapping(0, 100000, 65536)])

    static func pod(_ name: String, userns: Runtime_V1_UserNamespace?, logDirectory: String? = nil) -> Runtime_V1_PodSandboxConfig {
        var config = Pods.sandboxConfig(name, logDirectory: logDirectory)
        if let userns { config.linux.securityContext.namespaceOptions.usernsOptions = userns }
        return config
    }

    /// The container as the kubelet sends it: the pod's user namespace options repeated.
    static func container(_ name: String, command: [String], userns: Runtime_V1_UserNamespace?,
                          logPath: String? = nil) -> Runtime_V1_ContainerConfig {
        var config = Pods.containerConfig(name, command: command, logPath: logPath)
        if let userns { config.linux.securityContext.namespaceOptions.usernsOptions = userns }
        return config
    }

    @Test func podUserNamespaceMapsContainerAndExec() async throws {
        let daemon = try await Berthd.started()
        let logs = "\(daemon.directory)/logs"
        let pod = Self.pod("userns", userns: Self.podUserns, logDirectory: logs)
        let main = Self.container("main", command: ["sh", "-c", "id -u; cat /proc/self/uid_map; exec sleep 6007"],
                                  userns: Self.podUserns, logPath: "main.log")
        let (podID, containerID) = try await Pods.run(daemon, pod: pod, container: main)
        #expect(try await daemon.client.podSandboxStatus(podID).status.state == .sandboxReady)
        #expect(try await daemon.client.containerStatus(containerID).status.state == .containerRunning)

        // The log: the process saw itself as root of the pod's user namespace.
        #expect(await Pods.eventually { ((try? String(contentsOfFile: "\(logs)/main.log", encoding: .utf8)) ?? "").contains("65536") })
        let logLines = try String(contentsOfFile: "\(logs)/main.log", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: " ", maxSplits: 3).last.map(String.init) ?? "" }
        #expect(logLines.first == "0")
        #expect(logLines.dropFirst().first.map(words) == ["0", "100000", "65536"])

        // On the host it is uid and gid 100000, in the infra's user namespace.
        let pids = processes(argv: ["sleep", "6007"])
        #expect(pids.count == 1)
        let pid = try #require(pids.first)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(field(status, "Uid") == "100000\t100000\t100000\t100000")
        #expect(field(status, "Gid") == "100000\t100000\t100000\t100000")
        #expect(words(try String(contentsOfFile: "/proc/\(pid)/uid_map", encoding: .utf8)) == ["0", "100000", "65536"])
        let hostUserns = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/user")
        let podUserns = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/user")
        #expect(podUserns != hostUserns)

        // An exec joins it too; root there has its capabilities but is not host root:
        // root-owned image files and directories are not its own.
        let exec = try await daemon.client.execSync(containerID, command: ["sh", "-c", """
            id -u; id -g; cat /proc/self/uid_map; readlink /proc/self/ns/user; \
            touch /etc/berth-userns 2>/dev/null && echo wrote-etc || echo no-etc; \
            echo shared > /dev/shm/userns && cat /dev/shm/userns; hostname
            """], execTimeout: 10)
        #expect(exec.exitCode == 0, "\(String(decoding: exec.stderr, as: UTF8.self))")
        let lines = String(decoding: exec.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(lines)")
        if lines.count == 7 {
            #expect(lines[0] == "0" && lines[1] == "0")
            #expect(words(lines[2]) == ["0", "100000", "65536"])
            #expect(lines[3] == podUserns)
            #expect(Array(lines[4...]) == ["no-etc", "shared", "userns"])
        }
        let mount = try await daemon.client.execSync(containerID, command: ["mount", "-t", "tmpfs", "none", "/mnt"], execTimeout: 10)
        #expect(mount.exitCode != 0)

        // A streaming exec with a terminal joins it as well.
        var request = Runtime_V1_ExecRequest()
        request.containerID = containerID
        request.cmd = ["sh", "-c", "echo uid=$(id -u); cat /proc/self/uid_map; readlink /proc/self/ns/user"]
        request.tty = true
        request.stdout = true
        let url = try await streamURL(daemon, "Exec", request, Runtime_V1_ExecResponse.self) { $0.url }
        let streamed = try await collect(daemon, url: url)
        let streamedLines = streamed.stdout.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
        #expect(streamedLines.count == 3, "\(streamed.stdout)")
        if streamedLines.count == 3 {
            #expect(streamedLines[0] == "uid=0")
            #expect(words(streamedLines[1]) == ["0", "100000", "65536"])
            #expect(streamedLines[2] == podUserns)
        }
        #expect(streamed.status == StreamStatus(.success))

        // A second container of the pod shares the user namespace, even without the options.
        let second = Self.container("second", command: ["sleep", "6008"], userns: nil)
        let secondID = try await daemon.client.createContainer(podSandboxID: podID, config: second, sandboxConfig: pod)
        try await daemon.client.startContainer(secondID)
        let secondPid = try #require(processes(argv: ["sleep", "6008"]).first)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(secondPid)/ns/user") == podUserns)
        #expect(field(try String(contentsOfFile: "/proc/\(secondPid)/status", encoding: .utf8), "Uid") == "100000\t100000\t100000\t100000")

        // Other mappings than the pod's, and a user the pod does not map, are refused.
        let otherMaps = Self.userns(.pod, uids: [Self.mapping(0, 300000, 65536)], gids: [Self.mapping(0, 300000, 65536)])
        await expectInvalid("other mappings") {
            _ = try await daemon.client.createContainer(
                podSandboxID: podID, config: Self.container("other", command: ["true"], userns: otherMaps), sandboxConfig: pod)
        }
        var unmapped = Self.container("unmapped", command: ["true"], userns: Self.podUserns)
        unmapped.linux.securityContext.runAsUser.value = 70000
        await expectInvalid("unmapped user") {
            _ = try await daemon.client.createContainer(podSandboxID: podID, config: unmapped, sandboxConfig: pod)
        }

        try await daemon.client.stopContainer(containerID, gracePeriod: 5)
        #expect(try await daemon.client.containerStatus(containerID).status.exitCode == 143)
        try await daemon.client.removePodSandbox(podID)
        try expectNothingLeft(daemon)
        #expect(processes(argv: ["sleep", "6007"]).isEmpty && processes(argv: ["sleep", "6008"]).isEmpty)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    /// The same exec in a pod without a user namespace writes `/etc`: the refusal above is
    /// the mapping's doing.
    @Test func withoutAUserNamespaceRootIsHostRoot() async throws {
        let daemon = try await Berthd.started()
        let pod = Self.pod("hostroot", userns: nil)
        let (podID, containerID) = try await Pods.run(
            daemon, pod: pod, container: Self.container("main", command: ["sleep", "6009"], userns: nil))
        let exec = try await daemon.client.execSync(containerID, command: ["sh", "-c", """
            touch /etc/berth-userns 2>/dev/null && echo wrote-etc || echo no-etc; grep -E '^Uid' /proc/self/status
            """], execTimeout: 10)
        let lines = String(decoding: exec.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.first == "wrote-etc")
        #expect(lines.dropFirst().first.map(words) == ["Uid:", "0", "0", "0", "0"])
        try await daemon.client.removePodSandbox(podID)
        try expectNothingLeft(daemon)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    @Test func invalidUserNamespaceOptionsAreRefused() async throws {
        let daemon = try await Berthd.started()
        let cases: [(String, Runtime_V1_UserNamespace)] = [
            ("NODE with mappings", Self.userns(.node, uids: [Self.mapping(0, 100000, 65536)], gids: [Self.mapping(0, 100000, 65536)])),
            ("POD without mappings", Self.userns(.pod, uids: [], gids: [])),
            ("POD without gid mappings", Self.userns(.pod, uids: [Self.mapping(0, 100000, 65536)], gids: [])),
            ("several mappings", Self.userns(.pod, uids: [Self.mapping(0, 100000, 1000), Self.mapping(1000, 200000, 1000)],
                                             gids: [Self.mapping(0, 100000, 65536)])),
            ("zero length", Self.userns(.pod, uids: [Self.mapping(0, 100000, 0)], gids: [Self.mapping(0, 100000, 65536)])),
            ("host ids out of range", Self.userns(.pod, uids: [Self.mapping(0, 4_294_967_000, 65536)],
                                                  gids: [Self.mapping(0, 100000, 65536)])),
            ("container ids out of range", Self.userns(.pod, uids: [Self.mapping(0, 100000, 65536)],
                                                       gids: [Self.mapping(4_294_967_295, 100000, 2)])),
            ("CONTAINER mode", Self.userns(.container, uids: [Self.mapping(0, 100000, 65536)], gids: [Self.mapping(0, 100000, 65536)])),
        ]
        for (name, options) in cases {
            await expectInvalid(name) { _ = try await daemon.client.runPodSandbox(Self.pod("bad", userns: options)) }
        }
        #expect(try await daemon.client.listPodSandbox().isEmpty)
        // NODE without mappings is no user namespace at all.
        let node = try await daemon.client.runPodSandbox(Self.pod("node", userns: Self.userns(.node, uids: [], gids: [])))
        try await daemon.client.removePodSandbox(node)
        try expectNothingLeft(daemon)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    private func expectInvalid(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) was accepted")
        } catch {
            #expect((error as? BerthError)?.code == .invalidArgument, "\(what): \(error)")
        }
    }

    private func expectNothingLeft(_ daemon: Berthd) throws {
        #expect(Pods.mounts(under: daemon.directory).isEmpty)
        #expect(Pods.processes(mentioning: daemon.directory).allSatisfy { $0 == daemon.process?.processIdentifier })
        #expect(FileSystem.list("\(Pods.cgroupMount)/\(daemon.cgroupRoot)").filter { !$0.contains(".") }.isEmpty)
        #expect(FileSystem.list("\(daemon.directory)/state/pods").isEmpty)
        #expect(FileSystem.list("\(daemon.directory)/state/containers").isEmpty)
    }
}

/// Live processes whose argument vector is exactly `argv`.
private func processes(argv: [String]) -> [Int32] {
    let wanted = argv.joined(separator: "\0") + "\0"
    return FileSystem.list("/proc").compactMap { Int32($0) }.filter { pid in
        guard let cmdline = (try? FileSystem.read("/proc/\(pid)/cmdline")) ?? nil,
              let stat = (try? FileSystem.read("/proc/\(pid)/stat")) ?? nil else { return false }
        let state = String(decoding: stat, as: UTF8.self).split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && String(decoding: cmdline, as: UTF8.self) == wanted
    }
}

private func field(_ status: String, _ name: String) -> String? {
    for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

private func words(_ text: String) -> [String] {
    text.split(whereSeparator: { (character: Character) in character == " " || character == "\t" || character == "\n" })
        .map(String.init)
}
