#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
@testable import Cgroups

/// A directory shaped like a cgroup2 mount: interface files as the kernel lays them out, but
/// empty (so a test can read back exactly what was written) unless given content.
final class FakeHierarchy {
    let directory: TestDirectory
    let mount: CgroupMount

    static let allControllers = ["cpu", "memory", "pids", "cpuset", "hugetlb"]

    init(controllers: [String] = allControllers) throws {
        directory = try TestDirectory(prefix: "berth-cgroups")
        try FakeHierarchy.layOut(directory.path, controllers: controllers, root: true)
        mount = CgroupMount(path: directory.path)
    }

    /// Makes a cgroup (and its parents) whose files are those of `controllers`.
    func cgroup(_ path: String, controllers: [String] = allControllers) throws -> Cgroup {
        var built = directory.path
        for component in path.split(separator: "/") {
            built += "/\(component)"
            if !FileManager.default.fileExists(atPath: built) {
                try FileManager.default.createDirectory(atPath: built, withIntermediateDirectories: false)
                try FakeHierarchy.layOut(built, controllers: controllers, root: false)
            }
        }
        return try Cgroup(mount: mount, path: path)
    }

    static func layOut(_ path: String, controllers: [String], root: Bool) throws {
        var files = ["cgroup.controllers": controllers.joined(separator: " ") + "\n", "cgroup.subtree_control": "",
                     "cgroup.procs": "", "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"]
        if !root { files["cgroup.kill"] = "" }
        let perController: [String: [String]] = [
            "cpu": ["cpu.weight", "cpu.max"],
            "cpuset": ["cpuset.cpus", "cpuset.mems"],
            "memory": ["memory.max", "memory.low", "memory.high", "memory.swap.max", "memory.current", "memory.stat", "memory.events"],
            "pids": ["pids.max", "pids.current"],
            "hugetlb": ["hugetlb.2MB.max", "hugetlb.1GB.max"],
        ]
        if !root {
            for controller in controllers { for file in perController[controller] ?? [] { files[file] = "" } }
        }
        for (name, text) in files { try write(text, to: "\(path)/\(name)") }
    }

    func read(_ cgroup: Cgroup, _ file: String) -> String? {
        try? String(contentsOfFile: "\(cgroup.directory)/\(file)", encoding: .utf8)
    }
}

func write(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}
