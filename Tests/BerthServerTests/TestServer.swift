import BerthBase
import BerthClient
import BerthServer
import Foundation
import Logging

/// A real server on a Unix socket in a fresh temporary directory, torn down after `body`.
@discardableResult
func withTestServer<T>(
    maxBodyBytes: Int = 1 << 20,
    mode: UInt32 = 0o660,
    group: String? = nil,
    configure: (inout Router) -> Void,
    _ body: (Server, BerthClient) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        var router = Router()
        configure(&router)
        let server = Server(
            socketPath: "\(directory)/run/berth.sock", mode: mode, group: group, maxBodyBytes: maxBodyBytes,
            router: router, logger: testLogger())
        try await server.start()
        let client = BerthClient(socketPath: server.socketPath)
        do {
            let result = try await body(server, client)
            await client.close()
            await server.shutdown(grace: .seconds(2))
            return result
        } catch {
            await client.close()
            await server.shutdown(grace: .seconds(2))
            throw error
        }
    }
}

func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-server-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}

func testLogger() -> Logger {
    var logger = Logger(label: "berth.server.tests")
    // BERTH_TEST_LOG=debug shows the server's request log while a test runs.
    logger.logLevel = ProcessInfo.processInfo.environment["BERTH_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return logger
}

/// A JSON reply with a string-to-string object body.
func json(_ object: [String: String], status: Int = 200) -> Response {
    let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return .json(status: status, body: Array(body))
}

/// Parses an error reply body into (code, message).
func errorBody(_ bytes: [UInt8]) -> (code: String, message: String)? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String],
          let code = object["code"], let message = object["message"] else { return nil }
    return (code, message)
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// Counts handler invocations and cancellations across tasks.
final class Probe: Sendable {
    private let state = Mutex((calls: 0, cancelled: 0))
    private let started = AsyncStream<Void>.makeStream()

    var calls: Int { state.withLock { $0.calls } }
    var cancelled: Int { state.withLock { $0.cancelled } }

    func called() {
        state.withLock { $0.calls += 1 }
        started.continuation.yield()
    }

    func sawCancellation() { state.withLock { $0.cancelled += 1 } }

    /// Waits until a handler has started.
    func waitForCall() async {
        var iterator = started.stream.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// Polls until `condition` holds or `limit` passes.
    func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

import Synchronization
