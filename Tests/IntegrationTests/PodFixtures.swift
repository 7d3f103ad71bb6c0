import BerthBase
import BerthClient
import CRI
import Foundation

/// Pod and container configs for the runtime tests, and checks of what the host is left with.
enum Pods {
    static func sandboxConfig(_ name: String, logDirectory: String? = nil) -> Runtime_V1_PodSandboxConfig {
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = name
        config.metadata.namespace = "default"
        config.metadata.uid = "uid-\(name)"
        config.hostname = name
        if let logDirectory { config.logDirectory = logDirectory }
        return config
    }

    static func containerConfig(
        _ name: String, command: [String], image: String = ref("busybox:latest"), logPath: String? = nil
    ) -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = name
        config.image.image = image
        config.command = command
        if let logPath { config.logPath = logPath }
        return config
    }

    /// Pulls busybox, runs a pod and starts one container in it; returns both ids.
    static func run(
        _ daemon: Berthd, pod: Runtime_V1_PodSandboxConfig, container: Runtime_V1_ContainerConfig
    ) async throws -> (pod: String, container: String) {
        _ = try await daemon.client.pullImage(container.image.image)
        let podID = try await daemon.client.runPodSandbox(pod)
        let containerID = try await daemon.client.createContainer(podSandboxID: podID, config: container, sandboxConfig: pod)
        try await daemon.client.startContainer(containerID)
        return (podID, containerID)
    }

    /// Mount points at or below `directory` in berthd's (the host's) mount namespace.
    static func mounts(under directory: String) -> [String] {
        let text = ((try? FileSystem.read("/proc/self/mountinfo")) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4].hasPrefix(directory) else { return nil }
            return String(fields[4])
        }
    }

    /// Live (non-zombie) processes whose command line mentions `text`.
    static func processes(mentioning text: String) -> [Int32] {
        FileSystem.list("/proc").compactMap { Int32($0) }.filter { pid in
            guard let cmdline = (try? FileSystem.read("/proc/\(pid)/cmdline")) ?? nil, !cmdline.isEmpty,
                  let stat = (try? FileSystem.read("/proc/\(pid)/stat")) ?? nil else { return false }
            let state = String(decoding: stat, as: UTF8.self).split(separator: ")").last?.split(separator: " ").first
            return state != "Z" && String(decoding: cmdline, as: UTF8.self).contains(text)
        }
    }

    /// The cgroup2 mount point.
    static var cgroupMount: String {
        let text = ((try? FileSystem.read("/proc/self/mountinfo")) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        for line in text.split(separator: "\n") where line.contains(" - cgroup2 ") {
            return String(line.split(separator: " ")[4])
        }
        return "/sys/fs/cgroup"
    }

    /// Waits (bounded) until `condition` holds.
    static func eventually(_ timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
