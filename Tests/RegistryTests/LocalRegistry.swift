#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// A real registry for tests: Debian's `docker-registry` (distribution 2.x) serving from a
/// temporary directory on a free loopback port, stopped and removed by `stop()` or deinit.
/// Self-contained (Foundation and libc only) so other test targets can copy this file.
final class LocalRegistry: @unchecked Sendable {
    static let binary = "/usr/bin/docker-registry"

    /// Whether the registry binary is installed; tests that need it are disabled otherwise.
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Where the registry keeps its blobs: `<storage>/docker/registry/v2/...`.
    var storage: String { "\(directory)/storage" }
    /// `127.0.0.1:<port>`, the registry's domain in a reference.
    var host: String { "127.0.0.1:\(port)" }

    let port: Int
    let directory: String
    private let process: Process

    /// A bcrypt `htpasswd` line for user `berth`, password `berth-secret`.
    static let testUser = (username: "berth", password: "berth-secret")
    static let testHtpasswd = "berth:$2b$04$qjxCsg0jgrbeLHfdjNcjK.JaYTSfeHSHb/6NurXiXl6jpkjR9AfjC\n"

    /// Starts a registry and waits until it answers. With `htpasswd`, every request needs
    /// HTTP basic authentication against those lines.
    init(htpasswd: String? = nil) throws {
        var lastError = "not started"
        // The free port is found before the registry binds it; retry if another test won the race.
        for _ in 0..<3 {
            var template = Array("\(NSTemporaryDirectory())/berth-registry-XXXXXX".utf8CString)
            guard let created = mkdtemp(&template) else { throw FixtureError("mkdtemp: \(String(cString: strerror(errno)))") }
            let directory = String(cString: created)
            let port = try Self.freePort()
            let process = Process()
            do {
                try Self.writeConfiguration(directory: directory, port: port, htpasswd: htpasswd)
                _ = FileManager.default.createFile(atPath: "\(directory)/registry.log", contents: nil)
                let log = FileHandle(forWritingAtPath: "\(directory)/registry.log")
                process.executableURL = URL(fileURLWithPath: Self.binary)
                process.arguments = ["serve", "\(directory)/config.yml"]
                process.standardOutput = log
                process.standardError = log
                process.standardInput = FileHandle.nullDevice
                try process.run()
                if try Self.waitUntilListening(port: port, process: process) {
                    self.port = port
                    self.directory = directory
                    self.process = process
                    return
                }
                lastError = (try? String(contentsOfFile: "\(directory)/registry.log", encoding: .utf8)) ?? "no log"
            } catch {
                lastError = "\(error)"
            }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
        throw FixtureError("docker-registry did not start: \(lastError)")
    }

    deinit { stop() }

    /// Stops the registry and removes its directory. Safe to call more than once.
    func stop() {
        // The registry keeps nothing worth a graceful stop, and SIGTERM makes it wait for
        // idle connections to drain.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func writeConfiguration(directory: String, port: Int, htpasswd: String?) throws {
        var config = """
        version: 0.1
        log:
          level: warn
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: \(directory)/storage
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:\(port)

        """
        if let htpasswd {
            try htpasswd.write(toFile: "\(directory)/htpasswd", atomically: false, encoding: .utf8)
            config += """
            auth:
              htpasswd:
                realm: berth-test
                path: \(directory)/htpasswd

            """
        }
        try config.write(toFile: "\(directory)/config.yml", atomically: false, encoding: .utf8)
    }

    /// A loopback TCP port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw FixtureError("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }

    /// Polls until the port accepts connections (true) or the process exits or 10 s pass (false).
    private static func waitUntilListening(port: Int, process: Process) throws -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard process.isRunning else { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return true }
            usleep(50_000)
        }
        return false
    }
}

/// Runs `body` with a fresh local registry, stopping it afterwards whatever happens.
func withLocalRegistry<T>(htpasswd: String? = nil, _ body: (LocalRegistry) async throws -> T) async throws -> T {
    let registry = try LocalRegistry(htpasswd: htpasswd)
    defer { registry.stop() }
    return try await body(registry)
}

/// A fixture that could not be set up.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
