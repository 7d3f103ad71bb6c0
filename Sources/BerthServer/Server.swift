import BerthBase
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The HTTP/1.1 server on the daemon's Unix socket. It knows paths, bodies, deadlines and
/// error replies; what a path means is up to the `Router`'s handlers.
public final class Server: Sendable {
    /// Where the socket lives, e.g. `/run/berth/berth.sock`.
    public let socketPath: String
    private let mode: UInt32
    private let group: String?
    private let maxBodyBytes: Int
    private let router: Router
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var listener: (any Channel)?
        var socket: SocketFile.Identity?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    /// - Parameters:
    ///   - socketPath: the socket file to create.
    ///   - mode: its permission bits, e.g. `0o660`.
    ///   - group: the group (name or numeric id) that may connect, or nil to keep root's.
    ///   - maxBodyBytes: larger request bodies are refused with 413 before they are read.
    public init(socketPath: String, mode: UInt32, group: String?, maxBodyBytes: Int, router: Router, logger: Logger) {
        self.socketPath = socketPath
        self.mode = mode
        self.group = group
        self.maxBodyBytes = maxBodyBytes
        self.router = router
        self.logger = logger
    }

    /// Creates the socket and starts accepting connections. A stale socket file is
    /// replaced; one that another server still answers on is an error.
    public func start() async throws(BerthError) {
        try SocketFile.prepare(socketPath)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    let upgrader = Self.webSocketUpgrader(router: router, httpHandlerName: "berth-http")
                    try pipeline.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }),
                        withErrorHandling: false)
                    try pipeline.addHandler(ConnectionHandler(
                        router: router, maxBodyBytes: maxBodyBytes, logger: logger, eventLoop: channel.eventLoop), name: "berth-http")
                    track(channel)
                }
            }

        let listener: any Channel
        do {
            listener = try await bootstrap.bind(unixDomainSocketPath: socketPath).get()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw BerthError(.failedPrecondition, "socket \(socketPath) is already in use by another server")
        } catch {
            throw BerthError(.internal, "bind socket \(socketPath): \(error)")
        }
        let identity = SocketFile.identity(socketPath)
        do {
            try SocketFile.applyPermissions(socketPath, mode: mode, group: group)
        } catch {
            try? await listener.close()
            SocketFile.remove(socketPath, ifStill: identity)
            throw error
        }
        state.withLock {
            $0.listener = listener
            $0.socket = identity
            $0.shuttingDown = false
        }
        logger.info("listening", metadata: ["socket": "\(socketPath)"])
    }

    /// Stops accepting connections, lets requests in flight finish for up to `grace`,
    /// ends open streams, closes every connection and removes the socket file.
    public func shutdown(grace: Duration = .seconds(10)) async {
        let (listener, connections, socket) = state.withLock { state in
            state.shuttingDown = true
            defer { state.listener = nil }
            return (state.listener, Array(state.connections.values), state.socket)
        }
        guard let listener else { return }
        try? await listener.close()

        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(ServerShutdownEvent())
            // HTTPServerPipelineHandler closes an idle connection at once and a busy one
            // right after its current response.
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let eventLoop = listener.eventLoop
        let logger = self.logger
        let deadline = eventLoop.scheduleTask(in: TimeAmount(grace)) {
            logger.warning("closing connections still busy at shutdown", metadata: ["count": "\(connections.count)"])
            for connection in connections { connection.close(promise: nil) }
        }
        try? await EventLoopFuture.andAllComplete(connections.map(\.closeFuture), on: eventLoop).get()
        deadline.cancel()

        SocketFile.remove(socketPath, ifStill: socket)
        logger.info("stopped listening", metadata: ["socket": "\(socketPath)"])
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let refused = state.withLock { state in
            if state.shuttingDown { return true }
            state.connections[id] = channel
            return false
        }
        if refused {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }
}
