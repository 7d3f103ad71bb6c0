@testable import BerthClient
import BerthBase
import BerthServer
import CRI
import Foundation
import Testing

@Suite struct ClientTests {
    @Test func missingSocketIsUnavailable() async throws {
        let client = BerthClient(socketPath: "/nonexistent/berth/berth.sock")
        await #expect(throws: BerthError(.unavailable, "cannot reach berthd at /nonexistent/berth/berth.sock: No such file or directory")) {
            _ = try await client.version()
        }
    }

    @Test func defaultSocketPathFollowsTheEnvironment() {
        let expected = ProcessInfo.processInfo.environment["BERTH_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/run/berth/berth.sock"
        #expect(BerthClient.defaultSocketPath == expected)
    }

    @Test(arguments: [
        (Duration.milliseconds(100), "100000u"),
        (.seconds(5), "5000000u"),
        (.nanoseconds(1500), "1500n"),
        (.seconds(3600), "3600000m"),
        (.seconds(200_000), "200000S"),
        (.seconds(86_400 * 2000), "2880000M"),
    ])
    func grpcTimeoutHeaderFitsEightDigits(duration: Duration, header: String) {
        #expect(GrpcTimeoutHeader.value(for: duration) == header)
    }

    @Test func unknownReplyFieldsAreIgnored() async throws {
        try await withTestServer(configure: { router in
            router.register("/runtime.v1.RuntimeService/Version") { _ in
                .ok(Array(#"{"runtimeName":"berth","someFutureField":{"x":1}}"#.utf8))
            }
        }) { _, client in
            let version = try await client.version()
            #expect(version.runtimeName == "berth")
        }
    }

    @Test func typedCallsSendTheirRequests() async throws {
        let seen = Mutex<[String: String]>([:])
        try await withTestServer(configure: { router in
            for method in ["PullImage", "ImageStatus", "ListImages", "RemoveImage", "ImageFsInfo"] {
                router.register("/runtime.v1.ImageService/\(method)") { request in
                    seen.withLock { $0[method] = request.body.text }
                    switch method {
                    case "PullImage": return .ok(Array(#"{"imageRef":"sha256:abc"}"#.utf8))
                    case "ListImages": return .ok(Array(#"{"images":[{"id":"sha256:abc","size":"42"}]}"#.utf8))
                    default: return .ok(Array("{}".utf8))
                    }
                }
            }
            for method in ["Status", "RuntimeConfig"] {
                router.register("/runtime.v1.RuntimeService/\(method)") { request in
                    seen.withLock { $0[method] = request.body.text }
                    return .ok(Array("{}".utf8))
                }
            }
        }) { _, client in
            var auth = Runtime_V1_AuthConfig()
            auth.username = "me"
            let reference = try await client.pullImage("busybox", auth: auth)
            #expect(reference == "sha256:abc")
            _ = try await client.imageStatus("busybox", verbose: true)
            let images = try await client.listImages(filter: "busybox")
            #expect(images.map(\.id) == ["sha256:abc"])
            #expect(images.first?.size == 42)
            try await client.removeImage("busybox")
            _ = try await client.imageFsInfo()
            _ = try await client.status(verbose: true)
            _ = try await client.runtimeConfig()
            #expect(seen.withLock { $0 } == [
                "PullImage": #"{"image":{"image":"busybox"},"auth":{"username":"me"}}"#,
                "ImageStatus": #"{"image":{"image":"busybox"},"verbose":true}"#,
                "ListImages": #"{"filter":{"image":{"image":"busybox"}}}"#,
                "RemoveImage": #"{"image":{"image":"busybox"}}"#,
                "ImageFsInfo": "{}",
                "Status": #"{"verbose":true}"#,
                "RuntimeConfig": "{}",
            ])
        }
    }

    @Test func closedClientRefusesCalls() async throws {
        try await withTestServer(configure: RoutingTests.versionRoute) { _, client in
            _ = try await client.version()
            await client.close()
            let error = await #expect(throws: BerthError.self) { _ = try await client.version() }
            #expect(error?.code == .cancelled)
        }
    }

    @Test func nonJSONErrorReplyStillBecomesAnError() {
        let error = WireError.decode(status: 502, body: Array("bad gateway".utf8))
        #expect(error == BerthError(.unknown, "HTTP 502: bad gateway"))
    }
}

import Synchronization
