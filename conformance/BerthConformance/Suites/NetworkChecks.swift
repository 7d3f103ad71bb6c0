import BerthBase
import BerthClient
import CRI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// "Networking": the pod's address from the host, a host port on the host's loopback, a
/// host-network pod seeing the host's listeners, and PortForward into pod-network and
/// host-network pods. The harness must share berthd's network namespace (`make test` runs
/// both in one of the run's own, with a bridge network).
enum NetworkChecks {
    static let all: [Check] = [
        podIPReachable, hostPortReachable, hostNetworkSeesHostListener, portForwardPodNetwork, portForwardHostNetwork,
    ]

    static let podIPReachable = Check("networking/the pod's IP is reachable from the host") { harness in
        try await requirePodNetwork(harness)
        try await harness.withPod("net-ip") { pod in
            let token = uniqueName("pod-ip")
            _ = try await pod.run("httpd", command: httpd(serving: token, on: "8080"))
            let ip = try await harness.podStatus(pod.id).status.network.ip
            try expect(isIPv4(ip), "PodSandboxStatus network.ip \"\(ip)\" is not an IPv4 address")
            let reply = try await eventually {
                try await HostTCP.exchange(host: ip, port: 8080, sending: httpGet)
            } until: { $0.contains(token) }
            try expect(reply.contains(token), "HTTP GET http://\(ip):8080/ from the host: \(reply.debugDescription)")
        }
    }

    static let hostPortReachable = Check("networking/a port mapping's host port is reachable at 127.0.0.1:<hostPort>") { harness in
        try await requirePodNetwork(harness)
        let hostPort = try HostTCP.freePort()
        try await harness.withPod("net-hostport", { config in
            var mapping = Runtime_V1_PortMapping()
            mapping.protocol = .tcp
            mapping.containerPort = 8080
            mapping.hostPort = Int32(hostPort)
            config.portMappings = [mapping]
        }) { pod in
            let token = uniqueName("host-port")
            _ = try await pod.run("httpd", command: httpd(serving: token, on: "8080"))
            let reply = try await eventually {
                try await HostTCP.exchange(host: "127.0.0.1", port: hostPort, sending: httpGet)
            } until: { $0.contains(token) }
            try expect(reply.contains(token), "HTTP GET http://127.0.0.1:\(hostPort)/ (container port 8080): \(reply.debugDescription)")
        }
    }

    static let hostNetworkSeesHostListener = Check("networking/a host-network pod reaches a listener on the host's loopback") { harness in
        let token = uniqueName("host-listener")
        let listener = try HostListener(reply: token + "\n")
        defer { listener.stop() }
        try await harness.withPod("net-host", { $0.linux.securityContext.namespaceOptions.network = .node }) { pod in
            let id = try await pod.run("c") { $0.linux.securityContext.namespaceOptions.network = .node }
            let seen = try await eventually {
                try await harness.shell(id, "nc -w 5 127.0.0.1 \(listener.port) </dev/null").text
            } until: { $0.contains(token) }
            try expect(seen.contains(token), "nc 127.0.0.1:\(listener.port) from the container: \(seen.debugDescription)")
        }
    }

    /// Needs no CNI network: berthd connects to the port on the pod's own loopback.
    static let portForwardPodNetwork = Check("networking/PortForward reaches a port inside a pod-network pod") { harness in
        try await harness.withPod("net-forward") { pod in
            try await portForwardCheck(harness, pod, port: 8080)
        }
    }

    static let portForwardHostNetwork = Check("networking/PortForward reaches a port of a host-network pod") { harness in
        // The pod's port is the host's: one nothing else uses, on loopback only.
        let port = try HostTCP.freePort()
        try await harness.withPod("net-forward-host", { $0.linux.securityContext.namespaceOptions.network = .node }) { pod in
            try await portForwardCheck(harness, pod, port: port, listen: "127.0.0.1:\(port)") {
                $0.linux.securityContext.namespaceOptions.network = .node
            }
        }
    }

    /// Serves a token over HTTP on `listen` in the pod and fetches it through PortForward.
    private static func portForwardCheck(
        _ harness: Harness, _ pod: Pod, port: UInt16, listen: String? = nil,
        _ configure: (inout Runtime_V1_ContainerConfig) -> Void = { _ in }
    ) async throws {
        let token = uniqueName("forwarded")
        _ = try await pod.run("httpd", command: httpd(serving: token, on: listen ?? "\(port)"), configure)
        var last = PortForwardExchange()
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let url = try await harness.client.portForward(podSandboxID: pod.id, ports: [Int32(port)], timeout: .seconds(30))
            last = try await within(.seconds(20), "PortForward stream to port \(port)") {
                try await harness.client.forwardedExchange(url: url, sending: Array(httpGet.utf8)) {
                    String(decoding: $0, as: UTF8.self).contains(token)
                }
            }
            if String(decoding: last.data, as: UTF8.self).contains(token) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let data = String(decoding: last.data, as: UTF8.self)
        let error = String(decoding: last.error, as: UTF8.self)
        try expect(data.contains(token), "HTTP GET through PortForward to port \(port): data \(data.debugDescription), error \(error.debugDescription)")
        try expectEqual(last.dataPort, port, "the port the data channel names")
        try expectEqual(last.errorPort, port, "the port the error channel names")
        try expect(error.isEmpty, "PortForward error channel: \(error.debugDescription)")
    }

    // MARK: Helpers

    /// Skips a check that needs a pod network when berthd has none (NetworkReady=false).
    static func requirePodNetwork(_ harness: Harness) async throws {
        let status = try await harness.call(Method.runtime("Status"), Runtime_V1_StatusRequest(), as: Runtime_V1_StatusResponse.self)
        guard let ready = status.status.conditions.first(where: { $0.type == "NetworkReady" }) else {
            throw CheckFailure(reason: "Status reports no NetworkReady condition")
        }
        if !ready.status {
            throw CheckSkipped(reason: "berthd reports NetworkReady=false (\(ready.reason): \(ready.message))")
        }
    }

    static let httpGet = "GET / HTTP/1.0\r\n\r\n"

    /// busybox httpd in the foreground serving `token` as its index page on `listen` (`[IP:]PORT`).
    static func httpd(serving token: String, on listen: String) -> [String] {
        ["sh", "-c", "mkdir -p /tmp/www && echo \(token) > /tmp/www/index.html && exec httpd -f -p \(listen) -h /tmp/www"]
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    /// Retries `attempt` (a server may still be starting) until `done` holds for its answer or
    /// `limit` passes; returns the last answer, or throws the last error when none came.
    static func eventually(
        within limit: Duration = .seconds(15), _ attempt: () async throws -> String,
        until done: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + limit
        var lastError: (any Error)?
        var last: String?
        while true {
            do {
                let answer = try await attempt()
                last = answer
                lastError = nil
                if done(answer) { return answer }
            } catch {
                lastError = error
            }
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        if let last, lastError == nil { return last }
        throw CheckFailure(reason: "no answer within \(limit): \(lastError.map { "\($0)" } ?? "nothing")")
    }
}

/// Plain TCP from the harness, on threads of their own so the checks' tasks never block.
enum HostTCP {
    /// Connects to `host:port`, sends `request`, and reads until the peer closes (or 5 s pass).
    static func exchange(host: String, port: UInt16, sending request: String) async throws -> String {
        try await runBlocking(name: "conformance-tcp") { _ in
            let fd = try TCPSocket.make()
            defer { close(fd) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard TCPSocket.connect(fd, host, port: port) == 0 else { throw CheckFailure(reason: "connect \(host):\(port): \(FileSystem.errnoText())") }
            let bytes = Array(request.utf8)
            guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
                throw CheckFailure(reason: "send to \(host):\(port): \(FileSystem.errnoText())")
            }
            var reply: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                reply += buffer[..<n]
            }
            return String(decoding: reply, as: UTF8.self)
        }
    }

    /// A TCP port nothing listens on now (the kernel's pick of an ephemeral port).
    static func freePort() throws -> UInt16 {
        let fd = try TCPSocket.make()
        defer { close(fd) }
        return try HostListener.bindAndName(fd, "0.0.0.0")
    }
}

/// A listener on the host's 127.0.0.1 that answers every connection with `reply` and
/// closes it, until stopped.
final class HostListener: Sendable {
    let fd: Int32
    let port: UInt16

    init(reply: String) throws {
        let fd = try TCPSocket.make()
        do {
            port = try Self.bindAndName(fd, "127.0.0.1")
        } catch {
            close(fd)
            throw error
        }
        guard listen(fd, 16) == 0 else {
            let text = FileSystem.errnoText()
            close(fd)
            throw CheckFailure(reason: "listen on 127.0.0.1:\(port): \(text)")
        }
        self.fd = fd
        let bytes = Array(reply.utf8)
        let thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 && errno == EINTR { continue }
                // stop() shuts the socket down: accept fails and the thread ends.
                if client < 0 { break }
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
            close(fd)
        }
        thread.name = "conformance-listener"
        thread.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Binds `fd` to a free port of `host` and returns the port it got.
    static func bindAndName(_ fd: Int32, _ host: String) throws -> UInt16 {
        guard TCPSocket.bind(fd, host, port: 0) == 0 else { throw CheckFailure(reason: "bind a TCP port: \(FileSystem.errnoText())") }
        guard let port = TCPSocket.localPort(fd) else { throw CheckFailure(reason: "getsockname: \(FileSystem.errnoText())") }
        return port
    }
}
