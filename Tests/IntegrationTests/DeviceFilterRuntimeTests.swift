import BerthBase
import BerthClient
import CRI
import Foundation
import Testing

/// The cgroup v2 device filter through a real berthd. A container may mknod any node (it has
/// CAP_MKNOD) but only open the default devices; a privileged one may open anything. The proof
/// opens /dev/kmsg (c 1:11) for writing, which the host itself allows without any capability.
@Suite(.serialized, .enabled(if: TestEnvironment.ready, TestEnvironment.reason))
struct DeviceFilterRuntimeTests {
    /// Opening /dev/kmsg write-only needs no capability (reading it does, with dmesg_restrict),
    /// and writing nothing leaves the kernel log alone.
    static let openKmsg = "mknod /tmp/kmsg c 1 11 && : > /tmp/kmsg"
    static let useNull = "mknod /tmp/null c 1 3 && echo hello > /tmp/null && head -c 4 /tmp/null | wc -c && echo ok > /dev/null && head -c 4 /dev/zero | wc -c"

    func exec(_ daemon: Berthd, _ id: String, _ script: String) async throws -> (code: Int32, output: String) {
        let result = try await daemon.client.execSync(id, command: ["sh", "-c", script], execTimeout: 10)
        return (result.exitCode, String(decoding: result.stdout + result.stderr, as: UTF8.self))
    }

    @Test func defaultRulesDenyWhatTheyDoNotAllow() async throws {
        #expect(FileManager.default.isWritableFile(atPath: "/dev/kmsg"), "the host's /dev/kmsg is the control")
        let daemon = try await Berthd.started()
        let pod = Pods.sandboxConfig("devices")
        // The container's first process is already under the filter.
        let container = Pods.containerConfig(
            "main", command: ["sh", "-c", "(\(Self.openKmsg)) > /tmp/init.out 2>&1; echo status $? >> /tmp/init.out; exec sleep 600"])
        let (podID, containerID) = try await Pods.run(daemon, pod: pod, container: container)

        #expect(await Pods.eventually { (try? await exec(daemon, containerID, "cat /tmp/init.out").output.contains("status ")) == true })
        let initOutput = try await exec(daemon, containerID, "cat /tmp/init.out").output
        #expect(initOutput.contains("Operation not permitted"), "\(initOutput)")

        // An exec too: mknod works, opening the node does not.
        let kmsg = try await exec(daemon, containerID, "rm -f /tmp/kmsg; \(Self.openKmsg)")
        #expect(kmsg.code != 0)
        #expect(kmsg.output.contains("/tmp/kmsg: Operation not permitted"), "\(kmsg.output)")
        // A disk: denied as well.
        let disk = try await exec(daemon, containerID, "mknod /tmp/sda b 8 0 && dd if=/tmp/sda of=/dev/null bs=512 count=1 2>&1")
        #expect(disk.code != 0 && disk.output.contains("Operation not permitted"), "\(disk.output)")
        // /dev/null, /dev/zero, and a null made by mknod: allowed.
        let null = try await exec(daemon, containerID, Self.useNull)
        #expect(null.code == 0, "\(null.output)")
        #expect(null.output == "0\n4\n", "\(null.output)")
        // /dev/tty and /dev/ptmx open (no controlling terminal: ENXIO, not EPERM); /dev/full refuses writes as it should.
        let tty = try await exec(daemon, containerID, "echo x > /dev/tty; exec 3<>/dev/ptmx && echo ptmx; echo x > /dev/full")
        #expect(!tty.output.contains("Operation not permitted"), "\(tty.output)")
        #expect(tty.output.contains("ptmx") && tty.output.contains("No space left on device"), "\(tty.output)")

        try await daemon.client.removePodSandbox(podID)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }

    @Test func privilegedContainerOpensAnyDevice() async throws {
        let daemon = try await Berthd.started()
        var pod = Pods.sandboxConfig("devices-privileged")
        pod.linux.securityContext.privileged = true
        var container = Pods.containerConfig("main", command: ["sleep", "600"])
        container.linux.securityContext.privileged = true
        let (podID, containerID) = try await Pods.run(daemon, pod: pod, container: container)

        let kmsg = try await exec(daemon, containerID, Self.openKmsg)
        #expect(kmsg.code == 0, "\(kmsg.output)")
        #expect(!kmsg.output.contains("Operation not permitted"), "\(kmsg.output)")
        let null = try await exec(daemon, containerID, Self.useNull)
        #expect(null.code == 0 && null.output == "0\n4\n", "\(null.output)")

        try await daemon.client.removePodSandbox(podID)
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }
}
