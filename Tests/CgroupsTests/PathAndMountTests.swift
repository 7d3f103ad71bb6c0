import BerthBase
import Foundation
import Testing
@testable import Cgroups

struct PathAndMountTests {
    @Test func berthPaths() throws {
        let pod = try CgroupPath.pod("abc123")
        #expect(pod == "berth/abc123")
        #expect(try CgroupPath.container("ctr1", pod: pod) == "berth/abc123/ctr1")
    }

    @Test func cgroupParentIsHonoured() throws {
        #expect(try CgroupPath.pod("p", cgroupParent: "/kubepods/burstable/pod123") == "kubepods/burstable/pod123")
        #expect(try CgroupPath.pod("p", cgroupParent: "/kubepods//besteffort/pod9/") == "kubepods/besteffort/pod9")
        #expect(try CgroupPath.pod("p", cgroupParent: "tenants/a") == "berth/tenants/a")
        #expect(try CgroupPath.pod("p", cgroupParent: "") == "berth/p")
        #expect(try CgroupPath.container("c", pod: "/kubepods/pod1") == "kubepods/pod1/c")
    }

    @Test(arguments: ["/kubepods/../etc", "..", "a/../../b", "a\0b", "/", ""])
    func escapingParentsAreRefused(parent: String) {
        #expect(throws: BerthError.self) {
            _ = try CgroupPath.validated(parent)
        }
    }

    @Test func badIDsAndSystemdParentsAreRefused() {
        #expect(throws: BerthError.self) { try CgroupPath.pod("..") }
        #expect(throws: BerthError.self) { try CgroupPath.pod("a/b") }
        #expect(throws: BerthError.self) { try CgroupPath.container("", pod: "berth/p") }
        #expect(throws: BerthError.self) { try CgroupPath.container("x\0", pod: "berth/p") }
        #expect(throws: BerthError.self) { try CgroupPath.pod("p", cgroupParent: "kubepods-burstable.slice:cri:pod1") }
        #expect(throws: BerthError.self) { try Cgroup(mount: CgroupMount(path: "/x", controllers: []), path: "a/../..") }
    }

    @Test func hybridMountinfo() {
        let mountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
        """
        #expect(CgroupMount.cgroup2MountPoint(mountinfo: mountinfo) == "/sys/fs/cgroup/unified")
        #expect(CgroupMount.cgroup2MountPoint(mountinfo: "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory") == nil)
        #expect(CgroupMount.cgroup2MountPoint(mountinfo: "41 31 0:38 / /run/my\\040cgroups rw - cgroup2 none rw") == "/run/my cgroups")
    }

    @Test func controllersFromTheRoot() throws {
        let fake = try FakeHierarchy()
        #expect(fake.mount.controllers == ["cpu", "memory", "pids", "cpuset", "hugetlb"])
        #expect(fake.mount.availableControllers == ["cpu", "memory", "pids", "cpuset", "hugetlb"])
    }

    @Test func createMakesParentsAndEnablesWhatTheRootOffers() throws {
        let fake = try FakeHierarchy(controllers: ["pids"])
        let cgroup = try fake.mount.cgroup("/berth/pod/ctr")
        try cgroup.create()
        #expect(cgroup.exists)
        #expect(cgroup.path == "berth/pod/ctr")
        #expect(try String(contentsOfFile: "\(fake.mount.path)/cgroup.subtree_control", encoding: .utf8) == "+pids")
        try cgroup.create()   // again: nothing to do
    }
}
