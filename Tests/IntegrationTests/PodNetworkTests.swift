import BerthBase
import BerthClient
import CRI
import Foundation
import Testing

/// Runs a command to its end (killed after `timeout`); its status and output.
@discardableResult
func command(_ arguments: [String], timeout: TimeInterval = 30) throws -> (status: Int32, stdout: String, stderr: String) {
    let base = "/tmp/berth-cmd-\(UInt32.random(in: 0 ... .max))"
    FileManager.default.createFile(atPath: base + ".out", contents: nil)
    FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
    process.standardError = FileHandle(forWritingAtPath: base + ".err")
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(5000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return (process.terminationStatus, read(base + ".out"), read(base + ".err"))
}

/// A network namespace of the test's own: berthd runs in it, so the bridge, veths, iptables
/// rules and IP forwarding the plugins set up never touch the machine's network, and no
/// packet can leave (the namespace has no link to anything but its pods).
final class TestNetns: @unchecked Sendable {
    let name: String
    /// A process holding a mount namespace made for the network namespace (`ip netns exec`
    /// mounts a fresh /sys there, so cgroup2 is mounted again). Every berthd of the test runs
    /// in it, so the network namespaces a berthd pins stay visible to the next one after a
    /// restart, as they are on a host.
    private let holder: Process

    init() throws {
        name = "berth-test-\(UInt32.random(in: 0 ... .max))"
        let add = try command(["/usr/sbin/ip", "netns", "add", name])
        guard add.status == 0 else { throw BerthError(.internal, "ip netns add \(name): \(add.stderr)") }
        holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        holder.arguments = ["netns", "exec", name, "/bin/sh", "-c",
                            "mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup; exec sleep 100000"]
        do {
            try holder.run()
        } catch {
            // deinit does not run for an init that throws: the namespace goes here.
            _ = try? command(["/usr/sbin/ip", "netns", "del", name])
            throw error
        }
        let deadline = Date().addingTimeInterval(10)
        while (try? FileSystem.read("/proc/\(holder.processIdentifier)/comm")).flatMap({ $0 }).map({ String(decoding: $0, as: UTF8.self) }) != "sleep\n" {
            guard holder.isRunning, Date() < deadline else {
                if holder.isRunning { holder.terminate() }
                holder.waitUntilExit()
                _ = try? command(["/usr/sbin/ip", "netns", "del", name])
                throw BerthError(.internal, "netns \(name): the namespace holder did not start")
            }
            usleep(5000)
        }
        try exec(["/usr/sbin/ip", "link", "set", "lo", "up"])
    }

    /// Runs a command inside the namespace.
    @discardableResult
    func exec(_ arguments: [String], timeout: TimeInterval = 30) throws -> (status: Int32, stdout: String, stderr: String) {
        try command(["/usr/sbin/ip", "netns", "exec", name] + arguments, timeout: timeout)
    }

    /// Starts berthd in the holder's network and mount namespaces (nsenter execs it, so the
    /// pid is berthd's).
    var launcher: [String] {
        ["/usr/bin/nsenter", "-t", "\(holder.processIdentifier)", "-m", "-n", "--"]
    }

    /// Interface names in the namespace.
    func links() throws -> [String] {
        try exec(["/usr/sbin/ip", "-o", "link"]).stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            return String(fields[1].split(separator: "@")[0].dropLast(fields[1].contains("@") ? 0 : 1))
        }
    }

    func iptables() throws -> String { try exec(["/usr/sbin/iptables-save"]).stdout }

    deinit {
        holder.terminate()
        holder.waitUntilExit()
        _ = try? command(["/usr/sbin/ip", "netns", "del", name])
    }
}

/// A berthd in a test network namespace with a CNI network of its own: bridge `berthtest0`
/// on 10.99.0.0/24 with host-local addresses kept in the daemon's directory, portmap, loopback.
struct NetworkedDaemon {
    let netns: TestNetns
    let daemon: Berthd
    var confDir: String { "\(daemon.directory)/cni" }
    var binDir: String { "\(daemon.directory)/cni-bin" }
    var ipamDir: String { "\(daemon.directory)/ipam" }
    static let subnet = "10.99.0."

    static func conflist(ipamDir: String, extraPlugins: String = "") -> String {
        """
        {"cniVersion": "1.0.0", "name": "berth-test", "plugins": [
          {"type": "bridge", "bridge": "berthtest0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
           "ipam": {"type": "host-local", "dataDir": "\(ipamDir)", "ranges": [[{"subnet": "10.99.0.0/24"}]],
                    "routes": [{"dst": "0.0.0.0/0"}]}},
          {"type": "portmap", "capabilities": {"portMappings": true}},
          \(extraPlugins)
          {"type": "loopback"}
        ]}
        """
    }

    /// `configured: false` leaves the configuration directory empty.
    static func started(configured: Bool = true, extraPlugins: String = "", timeout: Int = 20) async throws -> NetworkedDaemon {
        let netns = try TestNetns()
        let suffix = UInt32.random(in: 0 ... .max)
        let directory = "/tmp/berth-it-\(suffix)"
        let network = """
            [network]
            conf_dir = "\(directory)/cni"
            bin_dirs = ["\(directory)/cni-bin", "/usr/lib/cni"]
            plugin_timeout = \(timeout)
            """
        let daemon = try Berthd(network: network, directory: directory)
        daemon.launcher = netns.launcher
        let fixture = NetworkedDaemon(netns: netns, daemon: daemon)
        try FileSystem.makeDirectory(fixture.confDir)
        try FileSystem.makeDirectory(fixture.binDir)
        if configured { try fixture.configure(extraPlugins: extraPlugins) }
        try await daemon.start()
        // berthd cannot reach the test registry from its namespace: busybox is imported.
        let imported = try berthctl(daemon, ["image", "import", "\(TestEnvironment.images ?? "")/busybox", "--name", ref("busybox:latest")])
        guard imported.status == 0 else { throw BerthError(.internal, "import busybox: \(imported.stderr)") }
        return fixture
    }

    /// Runs a pod and starts one container in it (the image is already there).
    func run(pod: Runtime_V1_PodSandboxConfig, container: Runtime_V1_ContainerConfig) async throws -> (pod: String, container: String) {
        let podID = try await daemon.client.runPodSandbox(pod)
        let containerID = try await daemon.client.createContainer(podSandboxID: podID, config: container, sandboxConfig: pod)
        try await daemon.client.startContainer(containerID)
        return (podID, containerID)
    }

    func configure(extraPlugins: String = "") throws {
        try FileSystem.atomicWrite(Array(Self.conflist(ipamDir: ipamDir, extraPlugins: extraPlugins).utf8), to: "\(confDir)/10-test.conflist")
    }

    /// A plugin of the test's own: a shell script.
    func plugin(_ name: String, _ script: String) throws {
        try FileSystem.atomicWrite(Array("#!/bin/sh\n\(script)\n".utf8), to: "\(binDir)/\(name)", mode: 0o755)
    }

    /// Addresses host-local holds for pods (files named by address).
    func allocatedIPs() -> [String] {
        FileSystem.list("\(ipamDir)/berth-test").filter { $0.hasPrefix(Self.subnet) }
    }

    func netnsFiles() -> [String] { FileSystem.list("\(daemon.directory)/state/netns") }

    func destroy() async {
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }
}

/// Pod networking with the real CNI plugins (containernetworking-plugins), every daemon in a
/// network namespace of its own.
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.ready && TestEnvironment.images != nil && FileSystem.exists("/usr/lib/cni/bridge"),
        "needs root, the test images (BERTH_TEST_IMAGES) and containernetworking-plugins"))
struct PodNetworkTests {
    func podConfig(_ name: String, hostPort: Int32? = nil, hostNetwork: Bool = false) -> Runtime_V1_PodSandboxConfig {
        var config = Pods.sandboxConfig(name)
        if let hostPort {
            var mapping = Runtime_V1_PortMapping()
            mapping.containerPort = 8080
            mapping.hostPort = hostPort
            config.portMappings = [mapping]
        }
        if hostNetwork { config.linux.securityContext.namespaceOptions.network = .node }
        return config
    }

    func httpd(_ name: String, text: String) -> Runtime_V1_ContainerConfig {
        Pods.containerConfig(name, command: [
            "sh", "-c", "mkdir -p /tmp/www && echo \(text) > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
        ])
    }

    /// An HTTP GET with busybox nc (Debian's static busybox wget crashes resolving names).
    func fetch(_ daemon: Berthd, from container: String, host: String, port: Int) async throws -> String {
        let request = #"printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 "# + "\(host) \(port)"
        let reply = try await daemon.client.execSync(container, command: ["sh", "-c", request], execTimeout: 15)
        return String(decoding: reply.stdout, as: UTF8.self) + String(decoding: reply.stderr, as: UTF8.self)
    }

    @Test func podGetsAnAddressAndPodsReachEachOther() async throws {
        let fixture = try await NetworkedDaemon.started()
        let daemon = fixture.daemon
        let serverPod = podConfig("server")
        let (serverID, _) = try await fixture.run(pod: serverPod, container: httpd("httpd", text: "hello-from-server"))
        let status = try await daemon.client.podSandboxStatus(serverID).status
        let ip = status.network.ip
        #expect(ip.hasPrefix(NetworkedDaemon.subnet), "pod IP \(ip)")
        #expect(status.network.additionalIps.isEmpty)
        #expect(fixture.allocatedIPs() == [ip])
        #expect(fixture.netnsFiles() == [serverID])

        let clientPod = podConfig("client")
        let (clientID, clientContainer) = try await fixture.run(pod: clientPod, container: Pods.containerConfig("sleep", command: ["sleep", "600"]))
        let clientIP = try await daemon.client.podSandboxStatus(clientID).status.network.ip
        #expect(clientIP.hasPrefix(NetworkedDaemon.subnet) && clientIP != ip)
        // The pod's /etc/hosts names its own address.
        let hosts = try await daemon.client.execSync(clientContainer, command: ["cat", "/etc/hosts"], execTimeout: 10)
        #expect(String(decoding: hosts.stdout, as: UTF8.self).contains("\(clientIP)\tclient"))
        let addresses = try await daemon.client.execSync(clientContainer, command: ["ip", "-o", "addr", "show", "eth0"], execTimeout: 10)
        #expect(String(decoding: addresses.stdout, as: UTF8.self).contains("\(clientIP)/24"))

        var body = ""
        _ = await Pods.eventually {
            body = (try? await fetch(daemon, from: clientContainer, host: ip, port: 8080)) ?? ""
            return body.contains("hello-from-server")
        }
        #expect(body.contains("hello-from-server"), "pod-to-pod: \(body)")

        for pod in [serverID, clientID] {
            try await daemon.client.stopPodSandbox(pod)
            // Stopping releases the address; a second stop is fine.
            try await daemon.client.stopPodSandbox(pod)
            #expect(try await daemon.client.podSandboxStatus(pod).status.network.ip.isEmpty)
            try await daemon.client.removePodSandbox(pod)
        }
        #expect(fixture.allocatedIPs().isEmpty)
        #expect(fixture.netnsFiles().isEmpty)
        #expect(try fixture.netns.links().filter { $0.hasPrefix("veth") }.isEmpty)
        await fixture.destroy()
    }

    @Test func hostPortReachesThePodAndHostNetworkPodsSeeHostListeners() async throws {
        let fixture = try await NetworkedDaemon.started()
        let daemon = fixture.daemon
        let (podID, _) = try await fixture.run(pod: podConfig("web", hostPort: 18080), container: httpd("httpd", text: "via-host-port"))
        let podIP = try await daemon.client.podSandboxStatus(podID).status.network.ip

        // From the test namespace's own loopback.
        var reply = ""
        _ = await Pods.eventually {
            reply = (try? fixture.netns.exec(["/usr/bin/curl", "-s", "--max-time", "5", "http://127.0.0.1:18080/"]).stdout) ?? ""
            return reply.contains("via-host-port")
        }
        #expect(reply.contains("via-host-port"), "hostPort on 127.0.0.1: \(reply)")
        // And at an address of the host's own (the namespace's side of the bridge).
        let hostAddress = "\(NetworkedDaemon.subnet)1"
        reply = (try? fixture.netns.exec(["/usr/bin/curl", "-s", "--max-time", "5", "http://\(hostAddress):18080/"]).stdout) ?? ""
        #expect(reply.contains("via-host-port"), "hostPort on \(hostAddress): \(reply)")
        let rules = try fixture.netns.iptables()
        #expect(rules.contains("--dport 18080"))

        // A host-network pod: no pod address, the namespace's loopback listeners in reach.
        let listenerDir = "\(daemon.directory)/www"
        try FileSystem.makeDirectory(listenerDir)
        try FileSystem.atomicWrite(Array("host-listener\n".utf8), to: "\(listenerDir)/index.html")
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        listener.arguments = ["netns", "exec", fixture.netns.name, "/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:19090", "-h", listenerDir]
        try listener.run()
        defer {
            kill(listener.processIdentifier, SIGKILL)
            listener.waitUntilExit()
        }
        let hostPod = podConfig("hostnet", hostNetwork: true)
        var sleeper = Pods.containerConfig("sleep", command: ["sleep", "600"])
        sleeper.linux.securityContext.namespaceOptions.network = .node
        let (hostPodID, hostContainer) = try await fixture.run(pod: hostPod, container: sleeper)
        #expect(try await daemon.client.podSandboxStatus(hostPodID).status.network.ip.isEmpty)
        var seen = ""
        _ = await Pods.eventually {
            seen = (try? await fetch(daemon, from: hostContainer, host: "127.0.0.1", port: 19090)) ?? ""
            return seen.contains("host-listener")
        }
        #expect(seen.contains("host-listener"), "host listener from a host-network pod: \(seen)")
        // And the bridge pod, by its address, from the host's network.
        let direct = try await fetch(daemon, from: hostContainer, host: podIP, port: 8080)
        #expect(direct.contains("via-host-port"))
        #expect(fixture.netnsFiles() == [podID])

        try await daemon.client.removePodSandbox(podID)
        try await daemon.client.removePodSandbox(hostPodID)
        #expect(!(try fixture.netns.iptables()).contains("18080"))
        #expect(fixture.allocatedIPs().isEmpty)
        await fixture.destroy()
    }

    /// Fifty pods (every fifth with a host port) started, stopped and removed: no address
    /// stays allocated, no veth, pinned namespace or iptables rule of theirs is left.
    @Test func fiftyPodsLeaveNothingBehind() async throws {
        let fixture = try await NetworkedDaemon.started()
        let daemon = fixture.daemon
        var ids: [String] = []
        var ips: Set<String> = []
        for index in 0..<50 {
            let config = podConfig("many-\(index)", hostPort: index % 5 == 0 ? Int32(20000 + index) : nil)
            let id = try await daemon.client.runPodSandbox(config)
            ids.append(id)
            ips.insert(try await daemon.client.podSandboxStatus(id).status.network.ip)
        }
        #expect(ips.count == 50 && ips.allSatisfy { $0.hasPrefix(NetworkedDaemon.subnet) })
        #expect(fixture.allocatedIPs().count == 50)
        #expect(try fixture.netns.links().filter { $0.hasPrefix("veth") }.count == 50)
        #expect(try fixture.netns.iptables().contains("--dport 20045"))
        for (position, id) in ids.enumerated() {
            if position % 2 == 0 { try await daemon.client.stopPodSandbox(id) }
            try await daemon.client.removePodSandbox(id)
        }
        #expect(try await daemon.client.listPodSandbox().isEmpty)
        #expect(fixture.allocatedIPs().isEmpty, "still allocated: \(fixture.allocatedIPs())")
        #expect(try fixture.netns.links().filter { $0.hasPrefix("veth") }.isEmpty)
        #expect(fixture.netnsFiles().isEmpty)
        let rules = try fixture.netns.iptables()
        let leftovers = ids.filter { rules.contains($0) }
        #expect(leftovers.isEmpty, "iptables rules left for \(leftovers.count) pods")
        #expect(!rules.contains("--dport 200"))
        #expect(FileSystem.list("\(daemon.directory)/state/pods").isEmpty)
        await fixture.destroy()
    }

    @Test func networkReadyFollowsTheConfiguration() async throws {
        let fixture = try await NetworkedDaemon.started(configured: false)
        let daemon = fixture.daemon
        func condition() async throws -> Runtime_V1_RuntimeCondition? {
            try await daemon.client.status().status.conditions.first { $0.type == "NetworkReady" }
        }
        let missing = try await condition()
        #expect(missing?.status == false)
        #expect(missing?.reason == "NetworkPluginNotReady")
        #expect(missing?.message.contains("no CNI network config in \(fixture.confDir)") == true)
        // No configuration: pods get loopback only, no address.
        let lonely = try await daemon.client.runPodSandbox(podConfig("lonely"))
        #expect(try await daemon.client.podSandboxStatus(lonely).status.network.ip.isEmpty)
        try await daemon.client.removePodSandbox(lonely)

        try fixture.configure()
        #expect(try await condition()?.status == true)

        try fixture.configure(extraPlugins: #"{"type": "berth-no-such-plugin"},"#)
        let noPlugin = try await condition()
        #expect(noPlugin?.status == false)
        #expect(noPlugin?.message.contains("plugin \"berth-no-such-plugin\" not found") == true)
        await fixture.destroy()
    }

    @Test func brokenConfigurationsAndFailingPluginsLeaveNothing() async throws {
        let fixture = try await NetworkedDaemon.started(configured: false)
        let daemon = fixture.daemon
        func expectFailure(_ name: String, mentioning text: String) async throws {
            do {
                _ = try await daemon.client.runPodSandbox(podConfig(name))
                Issue.record("\(name): RunPodSandbox should fail")
            } catch {
                #expect("\(error)".contains(text), "\(error)")
            }
            #expect(try await daemon.client.listPodSandbox().isEmpty)
            #expect(fixture.netnsFiles().isEmpty)
            #expect(fixture.allocatedIPs().isEmpty, "\(name): \(fixture.allocatedIPs())")
            #expect(FileSystem.list("\(daemon.directory)/state/pods").isEmpty)
            #expect(try fixture.netns.links().filter { $0.hasPrefix("veth") }.isEmpty)
            #expect(FileSystem.list("\(Pods.cgroupMount)/\(daemon.cgroupRoot)").filter { !$0.contains(".") }.isEmpty)
        }

        try FileSystem.atomicWrite(Array(#"{"cniVersion": "1.0.0", "name": "broken", "plugins": [{"type": "bridge"}"#.utf8), to: "\(fixture.confDir)/10-test.conflist")
        try await expectFailure("broken", mentioning: "10-test.conflist: not JSON")

        try fixture.configure(extraPlugins: #"{"type": "berth-no-such-plugin"},"#)
        try await expectFailure("missing", mentioning: "plugin \"berth-no-such-plugin\" not found")

        // A plugin failing after bridge gave an address: the address is released again.
        try fixture.plugin("berth-refuse", """
            cat >/dev/null
            if [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion": "1.0.0", "code": 7, "msg": "refused by test", "details": "on purpose"}'; exit 1; fi
            exit 0
            """)
        try fixture.configure(extraPlugins: #"{"type": "berth-refuse"},"#)
        try await expectFailure("refused", mentioning: "CNI plugin berth-refuse ADD failed: code 7 (invalid network config): refused by test (on purpose)")

        await fixture.destroy()
    }

    /// ADD fails after bridge gave an address, and DEL fails too: the sandbox is kept (NOTREADY,
    /// with the reason) with its cached attachment, and removing it once DEL works again
    /// leaves nothing.
    @Test func aFailedDelKeepsThePodUntilItsAddressIsReleased() async throws {
        let fixture = try await NetworkedDaemon.started()
        let daemon = fixture.daemon
        try fixture.plugin("berth-stuck", """
            cat >/dev/null
            [ -e "\(fixture.binDir)/del-works" ] && [ "$CNI_COMMAND" = DEL ] && exit 0
            echo '{"cniVersion": "1.0.0", "code": 11, "msg": "stuck by test"}'; exit 1
            """)
        try fixture.configure(extraPlugins: #"{"type": "berth-stuck"},"#)
        do {
            _ = try await daemon.client.runPodSandbox(podConfig("stuck"))
            Issue.record("RunPodSandbox should fail")
        } catch {
            #expect("\(error)".contains("stuck by test"), "\(error)")
        }
        let kept = try await daemon.client.listPodSandbox()
        #expect(kept.count == 1 && kept.first?.state == .sandboxNotready)
        let id = try #require(kept.first?.id)
        // DEL runs every plugin even when one fails; the attachment stays cached for the retry.
        #expect(FileSystem.exists("\(daemon.directory)/state/pods/\(id)/network.json"))
        let info = try await daemon.client.podSandboxStatus(id, verbose: true).info["info"] ?? ""
        #expect(info.contains("CNI DEL"), "verbose info: \(info)")

        try FileSystem.atomicWrite([], to: "\(fixture.binDir)/del-works")
        try await daemon.client.removePodSandbox(id)
        #expect(try await daemon.client.listPodSandbox().isEmpty)
        #expect(fixture.allocatedIPs().isEmpty)
        #expect(fixture.netnsFiles().isEmpty)
        await fixture.destroy()
    }

    @Test func hangingPluginIsKilledAtTheTimeout() async throws {
        let fixture = try await NetworkedDaemon.started(configured: false, timeout: 2)
        let daemon = fixture.daemon
        try fixture.plugin("berth-hang", """
            cat >/dev/null
            if [ "$CNI_COMMAND" = ADD ]; then exec sleep 300; fi
            exit 0
            """)
        try fixture.configure(extraPlugins: #"{"type": "berth-hang"},"#)
        let started = ContinuousClock.now
        do {
            _ = try await daemon.client.runPodSandbox(podConfig("hang"))
            Issue.record("RunPodSandbox should time out")
        } catch {
            #expect("\(error)".contains("CNI plugin berth-hang ADD: no answer within 2"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(Pods.processes(mentioning: "sleep 300").isEmpty)
        #expect(fixture.allocatedIPs().isEmpty)
        #expect(fixture.netnsFiles().isEmpty)
        #expect(try await daemon.client.listPodSandbox().isEmpty)
        await fixture.destroy()
    }

    /// berthd killed, a pod's record lost: at start the cached attachment is deleted (the address
    /// released) and the pinned namespace file removed.
    @Test func recoveryReleasesTheNetworkOfPodsWithoutRecords() async throws {
        let fixture = try await NetworkedDaemon.started()
        let daemon = fixture.daemon
        let id = try await daemon.client.runPodSandbox(podConfig("orphan", hostPort: 18181))
        #expect(fixture.allocatedIPs().count == 1)
        daemon.stop(signal: SIGKILL)
        try FileSystem.removeTree("\(daemon.root)/runtime/sandboxes/\(id).json")
        #expect(!FileSystem.list("\(daemon.root)/runtime/sandboxes").contains { $0.hasPrefix(id) })
        try await daemon.start()
        #expect(try await daemon.client.listPodSandbox().isEmpty)
        #expect(fixture.allocatedIPs().isEmpty)
        #expect(fixture.netnsFiles().isEmpty)
        #expect(!(try fixture.netns.iptables()).contains("18181"))
        await fixture.destroy()
    }

    /// berthd killed and started again: CNI CHECK runs for each ready pod. The pod whose
    /// interface went away while berthd was down is not ready any more, with CHECK's error as
    /// the reason; the intact pod stays ready; stopping both releases both addresses.
    @Test func restartChecksEveryPodNetwork() async throws {
        let fixture = try await NetworkedDaemon.started()
        let daemon = fixture.daemon
        let intact = try await daemon.client.runPodSandbox(podConfig("intact"))
        let broken = try await daemon.client.runPodSandbox(podConfig("broken"))
        let info = try await daemon.client.podSandboxStatus(broken, verbose: true).info["info"] ?? ""
        let pid = try #require((try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any])?["pid"] as? Int)
        daemon.stop(signal: SIGKILL)
        let removed = try command(["/usr/bin/nsenter", "-t", "\(pid)", "-n", "/usr/sbin/ip", "link", "del", "eth0"])
        #expect(removed.status == 0, "ip link del eth0: \(removed.stderr)")
        try await daemon.start()

        let deadline = ContinuousClock.now + .seconds(20)
        var state = Runtime_V1_PodSandboxState.sandboxReady
        while state == .sandboxReady && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            state = try await daemon.client.podSandboxStatus(broken).status.state
        }
        #expect(state == .sandboxNotready)
        let reason = try await daemon.client.podSandboxStatus(broken, verbose: true).info["info"] ?? ""
        #expect(reason.contains("CNI CHECK"), "verbose info: \(reason)")
        #expect(daemon.log().contains("pod network checked"))
        #expect(try await daemon.client.podSandboxStatus(intact).status.state == .sandboxReady)

        try await daemon.client.stopPodSandbox(broken)
        try await daemon.client.stopPodSandbox(intact)
        #expect(fixture.allocatedIPs().isEmpty)
        await fixture.destroy()
    }
}
