import BerthBase
import BerthClient
import Foundation
import Testing

/// What `make test` provides: the built binaries and a registry holding the test images.
enum TestEnvironment {
    static let bin = ProcessInfo.processInfo.environment["BERTH_BIN"]
    static let registry = ProcessInfo.processInfo.environment["BERTH_TEST_REGISTRY"] ?? ""
    static let images = ProcessInfo.processInfo.environment["BERTH_TEST_IMAGES"]
    static var ready: Bool { bin != nil && !registry.isEmpty && getuid() == 0 }
    static let reason: Comment = "needs root, BERTH_BIN and BERTH_TEST_REGISTRY (run through `make test`)"

    static func binary(_ name: String) -> String { "\(bin ?? ".build/debug")/\(name)" }
}

/// A real berthd in a temporary directory of its own, configured for the test registry.
final class Berthd: @unchecked Sendable {
    let directory: String
    let extraConfig: String
    /// A command berthd is started through (`ip netns exec NS`), empty to start it directly.
    var launcher: [String] = []
    private(set) var process: Process?
    let client: BerthClient

    var socket: String { "\(directory)/state/berth.sock" }
    /// Each daemon keeps its pods in a cgroup subtree of its own.
    let cgroupRoot: String
    var root: String { "\(directory)/root" }
    var configPath: String { "\(directory)/config.toml" }

    /// `network` replaces the `[network]` table; the default points at an empty directory so a
    /// test daemon never attaches pods to the machine's own CNI network.
    init(extraConfig: String = "", network: String? = nil, directory: String? = nil) throws {
        let suffix = UInt32.random(in: 0 ... .max)
        self.directory = directory ?? "/tmp/berth-it-\(suffix)"
        cgroupRoot = "berth-it-\(suffix)"
        let directory = self.directory
        self.extraConfig = extraConfig
        try FileSystem.makeDirectory(directory)
        let config = """
            root = "\(directory)/root"
            state = "\(directory)/state"
            log_level = "debug"
            [api]
            socket = "\(directory)/state/berth.sock"
            [registry.hosts."\(TestEnvironment.registry)"]
            plain_http = true
            [runtime]
            cgroup_root = "\(cgroupRoot)"
            \(extraConfig)
            \(network ?? "[network]\nconf_dir = \"\(directory)/no-cni\"")
            """
        try FileSystem.atomicWrite(Array(config.utf8), to: "\(directory)/config.toml")
        client = BerthClient(socketPath: "\(directory)/state/berth.sock")
    }

    /// A daemon started and answering on its socket.
    static func started(extraConfig: String = "") async throws -> Berthd {
        let daemon = try Berthd(extraConfig: extraConfig)
        try await daemon.start()
        return daemon
    }

    /// Starts berthd and waits until it answers on its socket (a socket file alone may be
    /// left over from a killed daemon).
    func start() async throws {
        let process = Process()
        let command = launcher + [TestEnvironment.binary("berthd"), "--config", configPath]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let logPath = "\(directory)/berthd.log"
        if !FileSystem.exists(logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let logHandle = FileHandle(forWritingAtPath: logPath)
        logHandle?.seekToEndOfFile()
        process.standardError = logHandle
        process.standardOutput = logHandle
        try process.run()
        self.process = process
        for _ in 0..<200 {
            guard process.isRunning else { break }
            if FileSystem.exists(socket), (try? await client.version()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BerthError(.unavailable, "berthd did not start: \(log())")
    }

    /// Stops berthd with `signal` and waits for it to exit; returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        guard let process, process.isRunning else { return process?.terminationStatus ?? 0 }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    /// Stops berthd and removes everything it had: its pods first, through the API.
    func destroy() async {
        if process != nil, let pods = try? await client.listPodSandbox() {
            for pod in pods { try? await client.removePodSandbox(pod.id) }
        }
        await client.close()
        stop()
        try? FileSystem.removeTree(directory)
    }

    // A test that fails half-way still leaves no daemon and no directory behind.
    deinit {
        stop()
        try? FileSystem.removeTree(directory)
    }

    func log() -> String {
        ((try? FileSystem.read("\(directory)/berthd.log")) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Names in a directory under the root (e.g. `snapshots/layers`), ignoring dot files.
    func entries(_ path: String) -> [String] {
        FileSystem.list("\(root)/\(path)").filter { !$0.hasPrefix(".") }.sorted()
    }
}

/// Runs a berthctl command against a daemon; returns its exit status and output.
func berthctl(_ daemon: Berthd, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestEnvironment.binary("berthctl"))
    process.arguments = ["--socket", daemon.socket] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// A test registry reference.
func ref(_ name: String) -> String { "\(TestEnvironment.registry)/\(name)" }
