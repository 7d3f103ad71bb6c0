import BerthBase
import CRI
import Foundation

/// "Pods": the pod sandbox life cycle, its metadata, sysctls, hostname, DNS and listing.
enum PodChecks {
    static let all: [Check] = [
        runReady, stopNotReady, stopTwice, removeGone, metadataEchoed, sysctlsNamespaced, sysctlHostRefused,
        hostname, dns, listById, listByState, listByLabel, duplicateName,
    ]

    static let runReady = Check("pods/run gives a READY pod listed by its id") { harness in
        try await harness.withPod("run") { pod in
            let status = try await harness.podStatus(pod.id)
            try expectEqual(status.status.id, pod.id, "status id")
            try expectEqual(status.status.state, .sandboxReady, "state after RunPodSandbox")
            try expect(status.status.createdAt > 0, "created_at is 0")
            let listed = try await harness.listPods().filter { $0.id == pod.id }
            try expectEqual(listed.count, 1, "pods listed with id \(pod.id)")
            try expectEqual(listed[0].state, .sandboxReady, "listed state")
        }
    }

    static let stopNotReady = Check("pods/stop gives NOTREADY") { harness in
        try await harness.withPod("stop") { pod in
            try await harness.stopPod(pod.id)
            try expectEqual(try await harness.podStatus(pod.id).status.state, .sandboxNotready, "state after StopPodSandbox")
            let listed = try await harness.listPods().filter { $0.id == pod.id }
            try expectEqual(listed.map(\.state), [.sandboxNotready], "listed state after StopPodSandbox")
        }
    }

    static let stopTwice = Check("pods/stopping a stopped pod succeeds") { harness in
        try await harness.withPod("stop-twice") { pod in
            _ = try await pod.run("c")
            try await harness.stopPod(pod.id)
            try await harness.stopPod(pod.id)
            try expectEqual(try await harness.podStatus(pod.id).status.state, .sandboxNotready, "state")
        }
    }

    static let removeGone = Check("pods/removed pod is gone") { harness in
        try await harness.withPod("remove") { pod in
            let container = try await pod.run("c")
            try await harness.stopPod(pod.id)
            try await harness.removePod(pod.id)
            _ = try await expectError([.notFound], "PodSandboxStatus of a removed pod") { try await harness.podStatus(pod.id) }
            try expect(try await harness.listPods().allSatisfy { $0.id != pod.id }, "removed pod still listed")
            // Removing a pod removes its containers.
            _ = try await expectError([.notFound], "ContainerStatus of a removed pod's container") {
                try await harness.containerStatus(container)
            }
        }
    }

    static let metadataEchoed = Check("pods/metadata, labels and annotations echoed by status and list") { harness in
        let labels = ["app": "berth-conformance", "tier": uniqueName("t")]
        let annotations = ["berth.test/note": "a value with spaces", "berth.test/empty": ""]
        try await harness.withPod("meta", { config in
            config.metadata.attempt = 3
            config.labels = labels
            config.annotations = annotations
        }) { pod in
            let status = try await harness.podStatus(pod.id).status
            try expectEqual(status.metadata, pod.config.metadata, "status metadata")
            try expectEqual(status.labels, labels, "status labels")
            try expectEqual(status.annotations, annotations, "status annotations")
            let listed = try await harness.listPods().filter { $0.id == pod.id }
            try expectEqual(listed.count, 1, "pods listed with id \(pod.id)")
            try expectEqual(listed[0].metadata, pod.config.metadata, "listed metadata")
            try expectEqual(listed[0].labels, labels, "listed labels")
            try expectEqual(listed[0].annotations, annotations, "listed annotations")
        }
    }

    static let sysctlsNamespaced = Check("pods/namespaced sysctls are set inside") { harness in
        try await harness.withPod("sysctl", { config in
            config.linux.sysctls = ["kernel.shm_rmid_forced": "1", "fs.mqueue.msg_max": "100"]
        }) { pod in
            let container = try await pod.run("c")
            try expectEqual(
                try await harness.output(container, ["cat", "/proc/sys/kernel/shm_rmid_forced"]), "1", "kernel.shm_rmid_forced inside")
            try expectEqual(
                try await harness.output(container, ["cat", "/proc/sys/fs/mqueue/msg_max"]), "100", "fs.mqueue.msg_max inside")
        }
    }

    static let sysctlHostRefused = Check("pods/a non-namespaced sysctl is refused with invalid_argument") { harness in
        try await harness.ensureImage(harness.probeImage)
        var config = try harness.podConfig("sysctl-host")
        defer { try? FileSystem.removeTree(config.logDirectory) }
        config.linux.sysctls = ["kernel.panic": "10"]
        let before = HostFiles.read("/proc/sys/kernel/panic")
        do {
            let error = try await expectError([.invalidArgument], "RunPodSandbox with kernel.panic") {
                try await harness.runPodSandbox(config)
            }
            try expect(error.message.contains("kernel.panic"), "message does not name the sysctl: \(error.message)")
        } catch {
            // Never leave a pod behind, even when berthd wrongly accepted it.
            for pod in (try? await harness.listPods()) ?? [] where pod.metadata.name == config.metadata.name {
                try? await harness.stopPod(pod.id)
                try? await harness.removePod(pod.id)
            }
            throw error
        }
        try expectEqual(HostFiles.read("/proc/sys/kernel/panic"), before, "host kernel.panic")
    }

    static let hostname = Check("pods/hostname from the pod config") { harness in
        let name = uniqueName("berth-host")
        try await harness.withPod("hostname", { $0.hostname = name }) { pod in
            let container = try await pod.run("c")
            try expectEqual(try await harness.output(container, ["hostname"]), name, "hostname inside")
            try expectEqual(try await harness.output(container, ["cat", "/etc/hostname"]), name, "/etc/hostname inside")
        }
    }

    static let dns = Check("pods/DNS servers, searches and options in /etc/resolv.conf") { harness in
        try await harness.withPod("dns", { config in
            config.dnsConfig.servers = ["192.0.2.53", "192.0.2.54"]
            config.dnsConfig.searches = ["berth.example", "svc.berth.example"]
            config.dnsConfig.options = ["ndots:3", "timeout:1"]
        }) { pod in
            let container = try await pod.run("c")
            let text = try await harness.output(container, ["cat", "/etc/resolv.conf"])
            let lines = text.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            for wanted in [
                "nameserver 192.0.2.53", "nameserver 192.0.2.54", "search berth.example svc.berth.example",
                "options ndots:3 timeout:1",
            ] {
                try expect(lines.contains(wanted), "/etc/resolv.conf lacks \"\(wanted)\": \(text.debugDescription)")
            }
        }
    }

    static let listById = Check("pods/list filtered by id") { harness in
        try await harness.withPod("list-a") { a in
            try await harness.withPod("list-b") { b in
                let listed = try await harness.listPods { $0.id = a.id }
                try expectEqual(listed.map(\.id), [a.id], "pods listed with filter id \(a.id)")
                _ = b
            }
        }
    }

    static let listByState = Check("pods/list filtered by state") { harness in
        try await harness.withPod("state-ready") { ready in
            try await harness.withPod("state-stopped") { stopped in
                try await harness.stopPod(stopped.id)
                let readyIDs = Set(try await harness.listPods { $0.state.state = .sandboxReady }.map(\.id))
                let notReadyIDs = Set(try await harness.listPods { $0.state.state = .sandboxNotready }.map(\.id))
                try expect(readyIDs.contains(ready.id) && !readyIDs.contains(stopped.id), "READY filter gave \(readyIDs)")
                try expect(notReadyIDs.contains(stopped.id) && !notReadyIDs.contains(ready.id), "NOTREADY filter gave \(notReadyIDs)")
            }
        }
    }

    static let listByLabel = Check("pods/list filtered by label selector") { harness in
        let run = uniqueName("run")
        try await harness.withPod("label-a", { $0.labels = ["berth.test/run": run, "role": "a"] }) { a in
            try await harness.withPod("label-b", { $0.labels = ["berth.test/run": run, "role": "b"] }) { b in
                let both = Set(try await harness.listPods { $0.labelSelector = ["berth.test/run": run] }.map(\.id))
                try expectEqual(both, [a.id, b.id], "pods with berth.test/run=\(run)")
                let onlyA = try await harness.listPods { $0.labelSelector = ["berth.test/run": run, "role": "a"] }.map(\.id)
                try expectEqual(onlyA, [a.id], "pods with berth.test/run=\(run), role=a")
                let none = try await harness.listPods { $0.labelSelector = ["berth.test/run": run, "role": "c"] }
                try expectEqual(none.map(\.id), [], "pods with role=c")
            }
        }
    }

    static let duplicateName = Check("pods/same name and attempt twice is already_exists") { harness in
        try await harness.withPod("duplicate") { pod in
            var again = pod.config
            again.metadata.uid = pod.config.metadata.uid
            do {
                _ = try await expectError([.alreadyExists], "second RunPodSandbox with the same metadata") {
                    try await harness.runPodSandbox(again)
                }
            } catch {
                for other in (try? await harness.listPods()) ?? [] where other.id != pod.id && other.metadata == pod.config.metadata {
                    try? await harness.stopPod(other.id)
                    try? await harness.removePod(other.id)
                }
                throw error
            }
            // A new attempt of the same pod is a different sandbox.
            again.metadata.attempt = 1
            let second = try await harness.runPodSandbox(again)
            try await harness.stopPod(second)
            try await harness.removePod(second)
        }
    }
}
