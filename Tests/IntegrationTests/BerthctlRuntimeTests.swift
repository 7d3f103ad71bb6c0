import BerthBase
import Foundation
import Testing

/// berthctl's pod and container verbs against a real berthd, with crictl-style config files.
@Suite(.serialized, .enabled(if: TestEnvironment.ready, TestEnvironment.reason))
struct BerthctlRuntimeTests {
    @Test func podAndContainerVerbsEndToEnd() async throws {
        let daemon = try await Berthd.started()
        let logs = "\(daemon.directory)/logs"
        let podFile = "\(daemon.directory)/pod.yaml", containerFile = "\(daemon.directory)/container.json"
        try FileSystem.atomicWrite(Array("""
            metadata:
              name: ctl-pod
              namespace: default
              uid: ctl-pod-uid
            hostname: ctl-host
            log_directory: \(logs)
            labels:
              app: ctl
            """.utf8), to: podFile)
        try FileSystem.atomicWrite(Array("""
            {"metadata": {"name": "web"}, "image": {"image": "\(ref("busybox:latest"))"},
             "command": ["sh", "-c", "echo $GREETING from $(hostname); exec sleep 600"],
             "envs": [{"key": "GREETING", "value": "hello"}], "log_path": "web.log", "labels": {"tier": "front"}}
            """.utf8), to: containerFile)

        let run = try berthctl(daemon, ["run", containerFile, podFile])
        #expect(run.status == 0, "\(run.stderr)")
        let containerID = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(containerID.count == 64)

        let pods = try berthctl(daemon, ["pods", "--label", "app=ctl"])
        #expect(pods.stdout.contains("ctl-pod") && pods.stdout.contains("Ready"), "\(pods.stdout)")
        let ps = try berthctl(daemon, ["ps", "--label", "tier=front"])
        #expect(ps.stdout.contains(String(containerID.prefix(13))) && ps.stdout.contains("Running"), "\(ps.stdout)")

        let exec = try berthctl(daemon, ["exec", String(containerID.prefix(12)), "sh", "-c", "echo out; exit 4"])
        #expect(exec.status == 4)
        #expect(exec.stdout == "out\n")

        #expect(await Pods.eventually { (try? berthctl(daemon, ["logs", containerID]))?.stdout == "hello from ctl-host\n" })
        let stamped = try berthctl(daemon, ["logs", "--timestamps", containerID])
        #expect(stamped.stdout.hasSuffix(" hello from ctl-host\n") && stamped.stdout.hasPrefix("20"), "\(stamped.stdout)")

        let inspect = try berthctl(daemon, ["inspect", "-o", "json", containerID])
        #expect(inspect.stdout.contains("\"CONTAINER_RUNNING\"") && inspect.stdout.contains("runtimeSpec"), "\(inspect.stdout.prefix(400))")

        #expect(try berthctl(daemon, ["stop", "-t", "1", containerID]).status == 0)
        #expect(try berthctl(daemon, ["ps", "-a", "-q"]).stdout == "\(containerID)\n")
        #expect(try berthctl(daemon, ["rm", containerID]).status == 0)
        #expect(try berthctl(daemon, ["rmp", "-a", "-f"]).status == 0)
        #expect(try berthctl(daemon, ["pods", "-q"]).stdout.isEmpty)

        let missing = try berthctl(daemon, ["start", "feedface"])
        #expect(missing.status != 0 && missing.stderr.contains("feedface"), "\(missing.stderr)")
        await daemon.destroy()
        try? FileManager.default.removeItem(atPath: "\(Pods.cgroupMount)/\(daemon.cgroupRoot)")
    }
}
