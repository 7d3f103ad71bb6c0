import BerthBase
import CRI
import ContainerPolicy
import OCIImage
import RuntimeSpec
import Testing

@Suite struct MountTests {
    @Test func defaultOrder() throws {
        let mounts = try build().spec.mounts ?? []
        #expect(mounts.map(\.destination) == [
            "/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
            "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/dev/shm",
        ])
        #expect(mounts[1] == Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
                                   options: ["nosuid", "strictatime", "mode=755", "size=65536k"]))
        #expect(mounts[2].options == ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        #expect(mounts[4].options == ["nosuid", "noexec", "nodev", "ro"])
        #expect(mounts[5].type == "cgroup2")
        #expect(mounts[5].options?.last == "ro")
        #expect(mounts[6] == Mount(destination: "/etc/hosts", type: "bind", source: "/run/berth/sb1/hosts",
                                   options: ["rbind", "rprivate", "rw"]))
        #expect(mounts[9].source == "/run/berth/sb1/shm")
    }

    @Test func hostIPCBindsTheHostShm() throws {
        let mounts = try build(security { $0.namespaceOptions.ipc = .node }).spec.mounts ?? []
        #expect(mounts.first { $0.destination == "/dev/shm" }?.source == "/dev/shm")
    }

    @Test func missingPodFilesAreSkipped() throws {
        var sandbox = sandboxContext
        sandbox.hostsPath = nil
        #expect(try build(sandbox: sandbox).spec.mounts?.contains { $0.destination == "/etc/hosts" } == false)
    }

    @Test func criMountReplacesPodFile() throws {
        let mounts = try build({ $0.mounts = [criMount("/etc/hosts", "/kubelet/hosts")] }).spec.mounts ?? []
        #expect(mounts.filter { $0.destination == "/etc/hosts" }.map(\.source) == ["/kubelet/hosts"])
    }

    @Test(arguments: [
        (Runtime_V1_MountPropagation.propagationPrivate, "rprivate", nil as String?),
        (.propagationHostToContainer, "rslave", "rslave"),
        (.propagationBidirectional, "rshared", "rshared"),
    ])
    func propagation(_ propagation: Runtime_V1_MountPropagation, _ option: String, _ rootfs: String?) throws {
        let spec = try build({ $0.mounts = [criMount("/data", "/host/data", propagation: propagation)] }).spec
        #expect(spec.mounts?.last == Mount(destination: "/data", type: "bind", source: "/host/data",
                                           options: ["rbind", option, "rw"]))
        #expect(spec.linux?.rootfsPropagation == rootfs)
    }

    @Test func sharedWinsOverSlave() {
        #expect(MountPolicy.rootfsPropagation([
            criMount("/a", "/a", propagation: .propagationHostToContainer),
            criMount("/b", "/b", propagation: .propagationBidirectional),
        ]) == "rshared")
    }

    @Test func readonly() throws {
        let spec = try build({ $0.mounts = [criMount("/data", "/host", readonly: true)] }).spec
        #expect(spec.mounts?.last?.options == ["rbind", "rprivate", "ro"])
    }

    @Test func recursiveReadOnly() throws {
        let spec = try build({ $0.mounts = [criMount("/data", "/host", readonly: true, rro: true)] }).spec
        #expect(spec.mounts?.last?.options == ["rbind", "rprivate", "ro", "rro"])
    }

    @Test func recursiveReadOnlyNeedsReadonly() {
        let failure = error { try build({ $0.mounts = [criMount("/data", "/host", rro: true)] }) }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.contains("mounts[0].recursive_read_only") == true)
    }

    @Test func recursiveReadOnlyNeedsPrivatePropagation() {
        let failure = error {
            try build({ $0.mounts = [criMount("/data", "/host", readonly: true, propagation: .propagationHostToContainer, rro: true)] })
        }
        #expect(failure?.code == .invalidArgument)
    }

    @Test func relativeContainerPathRefused() {
        let failure = error { try build({ $0.mounts = [criMount("data", "/host")] }) }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.contains("container_path") == true)
    }

    @Test func parentsBeforeChildren() throws {
        let mounts = try build({ $0.mounts = [criMount("/a/b/c", "/x"), criMount("/a", "/y"), criMount("/a/b", "/z")] }).spec.mounts ?? []
        #expect(mounts.suffix(3).map(\.destination) == ["/a", "/a/b", "/a/b/c"])
    }

    @Test func imageBackedMount() throws {
        var mount = criMount("/models", "")
        mount.image.image = "registry/models:1"
        mount.imageSubPath = "v1"
        mount.readonly = true
        let output = try build({ $0.mounts = [criMount("/data", "/host"), mount] })
        let request = try #require(output.imageMounts.first)
        #expect(request.image == "registry/models:1")
        #expect(request.subPath == "v1")
        #expect(output.spec.mounts?[request.mountIndex].destination == "/models")
        #expect(output.spec.mounts?[request.mountIndex].source == "")
    }

    @Test func imageVolumes() throws {
        let image = imageConfig { $0.volumes = ["/var/lib/db": EmptyObject(), "/cache": EmptyObject(), "/data": EmptyObject()] }
        let output = try build({ $0.mounts = [criMount("/data", "/host/data")] }, image: image)
        #expect(output.imageVolumes == [
            ImageVolume(destination: "/cache", hostPath: "/var/lib/berth/c1/volumes/volume-0"),
            ImageVolume(destination: "/var/lib/db", hostPath: "/var/lib/berth/c1/volumes/volume-1"),
        ])
        let mounts = output.spec.mounts ?? []
        #expect(mounts.first { $0.destination == "/var/lib/db" }
            == Mount(destination: "/var/lib/db", type: "bind", source: "/var/lib/berth/c1/volumes/volume-1",
                     options: ["rbind", "rprivate", "rw"]))
        #expect(mounts.filter { $0.destination == "/data" }.map(\.source) == ["/host/data"])
    }

    @Test func clean() {
        #expect(MountPolicy.clean("/a//b/./c/") == "/a/b/c")
        #expect(MountPolicy.clean("/a/../../b") == "/b")
    }
}
