#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import BerthClient
import BerthServer
import Foundation
import Testing

@Suite struct LifecycleTests {
    static func route(_ router: inout Router) {
        router.register("/runtime.v1.RuntimeService/Status") { _ in json(["ok": "yes"]) }
    }

    @Test func socketGetsTheModeAndGroupAsked() async throws {
        try await withTestServer(mode: 0o660, group: "daemon", configure: Self.route) { server, _ in
            var info = stat()
            #expect(lstat(server.socketPath, &info) == 0)
            #expect(info.st_mode & 0o7777 == 0o660)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
            let daemon = try #require(getgrnam("daemon"))
            #expect(info.st_gid == daemon.pointee.gr_gid)
        }
    }

    @Test func unknownGroupIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let server = Server(socketPath: "\(directory)/s.sock", mode: 0o660, group: "no-such-group-here",
                                maxBodyBytes: 1024, router: Router(), logger: testLogger())
            await #expect(throws: BerthError(.invalidArgument, "socket group no-such-group-here: no such group")) {
                try await server.start()
            }
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/s.sock"))
        }
    }

    @Test func shutdownRemovesTheSocketAndRefusesNewCalls() async throws {
        try await withTemporaryDirectory { directory in
            var router = Router()
            Self.route(&router)
            let server = Server(socketPath: "\(directory)/nested/dir/berth.sock", mode: 0o600, group: nil,
                                maxBodyBytes: 1024, router: router, logger: testLogger())
            try await server.start()
            let client = BerthClient(socketPath: server.socketPath)
            let status = try await client.raw(path: "/runtime.v1.RuntimeService/Status", body: []).status
            #expect(status == 200)
            await server.shutdown()
            #expect(!FileManager.default.fileExists(atPath: server.socketPath))
            let error = await #expect(throws: BerthError.self) {
                _ = try await client.status()
            }
            #expect(error?.code == .unavailable)
            #expect(error?.message.hasPrefix("cannot reach berthd at \(server.socketPath): ") == true)
        }
    }

    @Test func shutdownLetsARequestInFlightFinish() async throws {
        let probe = Probe()
        try await withTemporaryDirectory { directory in
            var router = Router()
            router.register("/slow") { _ in
                probe.called()
                try await Task.sleep(for: .milliseconds(500))
                return json(["done": "yes"])
            }
            let server = Server(socketPath: "\(directory)/berth.sock", mode: 0o600, group: nil,
                                maxBodyBytes: 1024, router: router, logger: testLogger())
            try await server.start()
            let client = BerthClient(socketPath: server.socketPath)
            let call = Task { try await client.raw(path: "/slow", body: []) }
            await probe.waitForCall()
            await server.shutdown()
            let reply = try await call.value
            #expect(reply.status == 200)
            #expect(reply.body.text == #"{"done":"yes"}"#)
        }
    }

    @Test func shutdownIsBoundedByTheGrace() async throws {
        let probe = Probe()
        try await withTemporaryDirectory { directory in
            var router = Router()
            router.register("/stuck") { _ in
                probe.called()
                try await Task.sleep(for: .seconds(30))
                return json([:])
            }
            let server = Server(socketPath: "\(directory)/berth.sock", mode: 0o600, group: nil,
                                maxBodyBytes: 1024, router: router, logger: testLogger())
            try await server.start()
            let client = BerthClient(socketPath: server.socketPath)
            let call = Task { try await client.raw(path: "/stuck", body: []) }
            await probe.waitForCall()
            let started = ContinuousClock.now
            await server.shutdown(grace: .milliseconds(300))
            #expect(started.duration(to: .now) < .seconds(3))
            await #expect(throws: BerthError.self) { _ = try await call.value }
        }
    }

    @Test func shutdownEndsOpenStreams() async throws {
        try await withTemporaryDirectory { directory in
            var router = Router()
            router.register("/events") { _ in
                .stream(AsyncThrowingStream { continuation in continuation.yield(Array("{}".utf8)) })
            }
            let server = Server(socketPath: "\(directory)/berth.sock", mode: 0o600, group: nil,
                                maxBodyBytes: 1024, router: router, logger: testLogger())
            try await server.start()
            let client = BerthClient(socketPath: server.socketPath)
            var iterator = client.stream("/events", body: []).makeAsyncIterator()
            _ = try await iterator.next()
            let started = ContinuousClock.now
            await server.shutdown()
            #expect(started.duration(to: .now) < .seconds(3))
            await #expect(throws: BerthError(.unavailable, "server is shutting down")) { _ = try await iterator.next() }
        }
    }

    @Test func secondServerOnTheSameSocketIsRefused() async throws {
        try await withTestServer(configure: Self.route) { server, client in
            let second = Server(socketPath: server.socketPath, mode: 0o600, group: nil, maxBodyBytes: 1024,
                                router: Router(), logger: testLogger())
            await #expect(throws: BerthError(.failedPrecondition, "socket \(server.socketPath) is already in use by another server")) {
                try await second.start()
            }
            // The first server is untouched.
            let status = try await client.raw(path: "/runtime.v1.RuntimeService/Status", body: []).status
            #expect(status == 200)
        }
    }

    @Test func staleSocketFileIsReplaced() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/berth.sock"
            // A socket nobody listens on any more, as a crashed daemon leaves behind.
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            #expect(bound == 0)
            close(fd)
            #expect(FileManager.default.fileExists(atPath: path))

            var router = Router()
            Self.route(&router)
            let server = Server(socketPath: path, mode: 0o600, group: nil, maxBodyBytes: 1024, router: router, logger: testLogger())
            try await server.start()
            let client = BerthClient(socketPath: path)
            let status = try await client.raw(path: "/runtime.v1.RuntimeService/Status", body: []).status
            #expect(status == 200)
            await server.shutdown()
        }
    }

    @Test func fileThatIsNotASocketIsLeftAlone() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/berth.sock"
            try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
            let server = Server(socketPath: path, mode: 0o600, group: nil, maxBodyBytes: 1024, router: Router(), logger: testLogger())
            await #expect(throws: BerthError(.failedPrecondition, "socket path \(path) exists and is not a socket; refusing to replace it")) {
                try await server.start()
            }
            let content = try String(contentsOfFile: path, encoding: .utf8)
            #expect(content == "precious")
        }
    }

    @Test func concurrentRequestsRunInParallel() async throws {
        try await withTestServer(configure: { router in
            router.register("/runtime.v1.RuntimeService/Status") { request in
                try await Task.sleep(for: .milliseconds(300))
                return json(["echo": request.body.text])
            }
        }) { _, client in
            let started = ContinuousClock.now
            let replies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for n in 0..<40 {
                    group.addTask {
                        let reply = try await client.raw(path: "/runtime.v1.RuntimeService/Status", body: Array("\(n)".utf8))
                        return (reply.status, reply.body.text)
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            #expect(started.duration(to: .now) < .seconds(3))
            #expect(replies.allSatisfy { $0.0 == 200 })
            #expect(Set(replies.map(\.1)) == Set((0..<40).map { #"{"echo":"\#($0)"}"# }))
        }
    }
}
