#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import Foundation
import HTTPClient
import Testing

/// The suites that start fixture processes, run one test at a time: dozens of Python
/// servers starting at once load a small machine enough to upset other targets' timing.
@Suite(.serialized) enum Fixtured {}

/// A Python script from `Fixtures/` serving on a loopback port it prints; killed and reaped
/// by `stop()` (or deinit). It also exits by itself when this process dies (its stdin closes).
final class PythonFixture: @unchecked Sendable {
    static let python = "/usr/bin/python3"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: python) }

    let port: Int
    private let process = Process()
    private let stdin = Pipe()

    init(_ script: String, _ arguments: [String] = []) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(script)").path
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [path] + arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The script prints its port once it listens; nothing (end of file) if it failed.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = stdout.fileHandleForReading.availableData
            if more.isEmpty { break }
            line += more
        }
        guard let text = String(data: line, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw FixtureError("\(script) did not start")
        }
        self.port = port
    }

    deinit { stop() }

    /// Kills the script and reaps it. Safe to call more than once.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? stdin.fileHandleForWriting.close()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Starts a fixture on a thread of its own: waiting for its port must not hold one of the
/// few cooperative threads every test in the process shares.
func startFixture(_ script: String, _ arguments: [String] = []) async throws -> PythonFixture {
    try await runBlocking(name: "fixture") { _ in try PythonFixture(script, arguments) }
}

/// Runs `body` with `Fixtures/http_server.py` (over TLS with `tls`), stopped afterwards.
func withServer<T>(tls: Certificate? = nil, _ body: (PythonFixture) async throws -> T) async throws -> T {
    let server = try await startFixture("http_server.py", tls.map { ["--tls", $0.certificate, $0.key] } ?? [])
    defer { server.stop() }
    return try await body(server)
}

/// Runs `body` with `Fixtures/http_proxy.py`, stopped afterwards.
func withProxy<T>(_ body: (PythonFixture) async throws -> T) async throws -> T {
    let proxy = try await startFixture("http_proxy.py")
    defer { proxy.stop() }
    return try await body(proxy)
}

/// Runs `body` with a fresh directory that is removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    var template = Array("\(NSTemporaryDirectory())/berth-http-test-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw FixtureError("mkdtemp: \(FileSystem.errnoText())") }
    let path = String(cString: created)
    defer { try? FileSystem.removeTree(path) }
    return try await body(path)
}

/// A self-signed certificate and its key, for `registry.test` and 127.0.0.1 only.
struct Certificate: Sendable {
    let certificate: String
    let key: String

    static let openssl = "/usr/bin/openssl"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: openssl) }
}

/// Runs `body` with a certificate made by `openssl req` in a temporary directory.
func withCertificate<T>(_ body: (Certificate) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        let made = Certificate(certificate: "\(directory)/cert.pem", key: "\(directory)/key.pem")
        try await runBlocking(name: "openssl") { _ in try made.generate() }
        return try await body(made)
    }
}

extension Certificate {
    fileprivate func generate() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Certificate.openssl)
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=registry.test", "-addext", "subjectAltName=DNS:registry.test,IP:127.0.0.1",
            "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("openssl req failed") }
    }
}

/// The body bytes the server's `pattern(n)` sends.
func pattern(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8($0 % 251) }
}

/// A loopback port nobody listens on right now.
func unusedPort() throws -> Int {
    let fd = try TCPSocket.make()
    defer { close(fd) }
    guard TCPSocket.bind(fd, port: 0) == 0, let port = TCPSocket.localPort(fd) else {
        throw FixtureError("bind: \(FileSystem.errnoText())")
    }
    return Int(port)
}

/// What a sink received, shared with the thread running the transfer.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    func append(_ slice: UnsafeRawBufferPointer) {
        lock.withLock { bytes.append(contentsOf: slice) }
    }

    var count: Int { lock.withLock { bytes.count } }
    var value: [UInt8] { lock.withLock { bytes } }
}

/// Runs a transfer on a thread of its own (it blocks), as the registry client does.
func perform(
    _ request: TransferRequest, options: TransferOptions = TransferOptions(), flag: CancellationFlag = CancellationFlag(),
    into collected: Collected? = nil
) async -> Result<TransferResponse, TransferError> {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            var sink: TransferSink?
            if let collected {
                sink = { (slice: UnsafeRawBufferPointer) throws(BerthError) -> Void in collected.append(slice) }
            }
            do throws(TransferError) {
                continuation.resume(returning: .success(try transfer(request, options: options, flag: flag, sink: sink)))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        thread.start()
    }
}

extension Result where Success == TransferResponse, Failure == TransferError {
    /// The response; a failure is thrown, and the test records it where it was called.
    func response() throws -> TransferResponse {
        switch self {
        case .success(let response): return response
        case .failure(let error): throw FixtureError("transfer failed: \(error)")
        }
    }

    /// The failure's text, or nil (and a recorded issue) when the transfer succeeded.
    func failureText(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        switch self {
        case .success(let response):
            Issue.record("transfer succeeded with HTTP \(response.status)", sourceLocation: sourceLocation)
            return nil
        case .failure(let error): return error.description
        }
    }
}

/// The `/echo` route's reply.
struct Echo: Decodable {
    var method: String
    var target: String
    var headers: [String: String]
    var bodyLength: Int
    var bodySHA256: String

    enum CodingKeys: String, CodingKey {
        case method, target, headers
        case bodyLength = "body_length"
        case bodySHA256 = "body_sha256"
    }

    init(_ response: TransferResponse) throws {
        self = try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }
}

/// The proxy fixture's `/stats`, fetched directly from it.
struct ProxyStats: Decodable {
    var requests: [String]
    var proxyAuthorization: [String]

    enum CodingKeys: String, CodingKey {
        case requests
        case proxyAuthorization = "proxy_authorization"
    }

    static func of(_ proxy: PythonFixture) async throws -> ProxyStats {
        let response = try await perform(TransferRequest(url: "http://127.0.0.1:\(proxy.port)/stats")).response()
        return try JSONDecoder().decode(ProxyStats.self, from: Data(response.body))
    }
}
