import BerthBase
import CRI

/// "Idempotence": stopping and removing what is already gone succeeds, as kubelet retries
/// rely on.
enum IdempotenceChecks {
    static let all: [Check] = [missingSandbox, missingContainer, removeContainerTwice, removePodTwice, missingImage]

    static let missingID = String(repeating: "0", count: 64)

    static let missingSandbox = Check("idempotence/stop and remove of a missing sandbox succeed") { harness in
        try await harness.stopPod(missingID)
        try await harness.removePod(missingID)
        try await harness.stopPod("never-was-a-pod")
        try await harness.removePod("never-was-a-pod")
    }

    static let missingContainer = Check("idempotence/stop and remove of a missing container succeed") { harness in
        try await harness.stopContainer(missingID, timeout: 0)
        try await harness.removeContainer(missingID)
        try await harness.stopContainer("never-was-a-container", timeout: 5)
        try await harness.removeContainer("never-was-a-container")
    }

    static let removeContainerTwice = Check("idempotence/removing a container twice succeeds") { harness in
        try await harness.withPod("remove-twice") { pod in
            let id = try await pod.run("c")
            try await harness.stopContainer(id, timeout: 0)
            try await harness.removeContainer(id)
            try await harness.removeContainer(id)
            try await harness.stopContainer(id, timeout: 0)
            _ = try await expectError([.notFound], "ContainerStatus after removal") { try await harness.containerStatus(id) }
        }
    }

    static let removePodTwice = Check("idempotence/removing a pod twice succeeds") { harness in
        try await harness.withPod("remove-pod-twice") { pod in
            try await harness.stopPod(pod.id)
            try await harness.removePod(pod.id)
            try await harness.removePod(pod.id)
            try await harness.stopPod(pod.id)
        }
    }

    static let missingImage = Check("idempotence/removing a missing image succeeds") { harness in
        try await harness.remove(harness.reference("never-pulled-\(uniqueName("i")):latest"))
        try await harness.remove("sha256:" + String(repeating: "e", count: 64))
    }
}
