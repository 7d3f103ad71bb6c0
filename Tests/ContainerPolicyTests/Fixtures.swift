import BerthBase
import CRI
import ContainerPolicy
import Foundation
import OCIImage
import RuntimeSpec

let passwd = """
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
alice:x:1000:1000::/home/alice:/bin/sh
# a comment
broken line
"""

let group = """
root:x:0:
www-data:x:33:
alice:x:1000:
staff:x:50:alice,bob
audio:x:29:alice
video:x:44:bob
"""

let sandboxContext = SandboxContext(
    sandboxID: "sb1", hostnamePath: "/run/berth/sb1/hostname", hostsPath: "/run/berth/sb1/hosts",
    resolvConfPath: "/run/berth/sb1/resolv.conf", shmPath: "/run/berth/sb1/shm",
    networkNamespacePath: "/proc/10/ns/net", ipcNamespacePath: "/proc/10/ns/ipc", utsNamespacePath: "/proc/10/ns/uts",
    pidNamespacePath: "/proc/10/ns/pid", userNamespacePath: "/proc/10/ns/user", nodeHostname: "node1",
    hostDevices: [
        Device(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o666),
        Device(type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o666),
        Device(type: "b", path: "/dev/sda", major: 8, minor: 0, fileMode: 0o660, gid: 6),
    ])

let containerContext = ContainerContext(containerID: "c1", rootfsPath: "/var/lib/berth/c1/rootfs",
                                        cgroupsPath: "berth/c1", imageName: "docker.io/library/busybox:latest",
                                        volumesDirectory: "/var/lib/berth/c1/volumes")

func podConfig(_ edit: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in }) -> Runtime_V1_PodSandboxConfig {
    var config = Runtime_V1_PodSandboxConfig()
    config.metadata.name = "pod"
    config.metadata.namespace = "default"
    config.metadata.uid = "uid-1"
    config.hostname = "pod-host"
    edit(&config)
    return config
}

func containerConfig(_ edit: (inout Runtime_V1_ContainerConfig) -> Void = { _ in }) -> Runtime_V1_ContainerConfig {
    var config = Runtime_V1_ContainerConfig()
    config.metadata.name = "app"
    config.image.image = "busybox"
    edit(&config)
    return config
}

func imageConfig(_ edit: (inout ImageConfig.ExecutionConfig) -> Void = { _ in }) -> ImageConfig {
    var execution = ImageConfig.ExecutionConfig(env: ["PATH=/image/bin", "IMAGE=1"], cmd: ["sh"])
    edit(&execution)
    return ImageConfig(config: execution, rootfs: .init(diffIDs: []))
}

func build(_ edit: (inout Runtime_V1_ContainerConfig) -> Void = { _ in },
           pod: Runtime_V1_PodSandboxConfig = podConfig(),
           image: ImageConfig = imageConfig(),
           sandbox: SandboxContext = sandboxContext,
           container: ContainerContext = containerContext) throws(BerthError) -> ContainerSpecOutput {
    try ContainerSpecBuilder(config: containerConfig(edit), sandboxConfig: pod, image: image, etcPasswd: passwd,
                             etcGroup: group, sandbox: sandbox, container: container).build()
}

func security(_ edit: @escaping (inout Runtime_V1_LinuxContainerSecurityContext) -> Void) -> (inout Runtime_V1_ContainerConfig) -> Void {
    { config in edit(&config.linux.securityContext) }
}

func privilegedPod() -> Runtime_V1_PodSandboxConfig {
    podConfig { $0.linux.securityContext.privileged = true }
}

/// The error a throwing call raised, or nil.
func error<T>(_ body: () throws -> T) -> BerthError? {
    do {
        _ = try body()
        return nil
    } catch let error as BerthError {
        return error
    } catch {
        return BerthError(.unknown, "not a BerthError: \(error)")
    }
}

func keyValue(_ key: String, _ value: String) -> Runtime_V1_KeyValue {
    var entry = Runtime_V1_KeyValue()
    entry.key = key
    entry.value = value
    return entry
}

func criMount(_ containerPath: String, _ hostPath: String, readonly: Bool = false,
              propagation: Runtime_V1_MountPropagation = .propagationPrivate, rro: Bool = false) -> Runtime_V1_Mount {
    var mount = Runtime_V1_Mount()
    mount.containerPath = containerPath
    mount.hostPath = hostPath
    mount.readonly = readonly
    mount.propagation = propagation
    mount.recursiveReadOnly = rro
    return mount
}
