import BerthBase
import Logging
import NIOCore
import NIOHTTP1

/// Sent down every connection's pipeline when the server shuts down, so that open streams
/// end with an `unavailable` trailer instead of holding the shutdown up.
struct ServerShutdownEvent: Sendable {}

/// Serves the requests of one connection, one at a time: `HTTPServerPipelineHandler` in
/// front of it holds pipelined requests back until the previous response has ended.
/// Every method runs on the connection's event loop.
final class ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let maxBodyBytes: Int
    private let logger: Logger
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var state: State = .idle
    private var lastID: UInt64 = 0

    /// The request being served.
    private struct Exchange {
        var id: UInt64
        var head: HTTPRequestHead
        var path: String
        var started: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant?
    }

    private enum Target {
        case handler(Handler)
        case rejected(Rejection)
    }

    private enum State {
        case idle
        case receiving(Exchange, Target, body: ByteBuffer, received: Int)
        case running(Exchange, task: Task<Void, Never>?, timer: Scheduled<Void>?, streaming: Bool)
        case closed
    }

    init(router: Router, maxBodyBytes: Int, logger: Logger, eventLoop: any EventLoop) {
        self.router = router
        self.eventLoop = eventLoop
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopRunningRequest()
        self.context = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): receiveHead(head, context: context)
        case .body(let chunk): receiveBody(chunk)
        case .end: receiveEnd(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: nobody will read the answer, so stop working on it.
        stopRunningRequest()
        state = .closed
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ServerShutdownEvent, case .running(let exchange, let task, _, true) = state {
            task?.cancel()
            _ = endStream(exchange.id, error: BerthError(.unavailable, "server is shutting down"))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let malformed = error is HTTPParserError || error is ByteToMessageDecoderError
        switch state {
        case .idle where malformed, .receiving where malformed:
            let exchange = currentExchange ?? placeholderExchange()
            state = .running(exchange, task: nil, timer: nil, streaming: false)
            let failure = BerthError(.invalidArgument, "malformed HTTP request: \(error)")
            _ = send(exchange, status: 400, body: WireError.body(failure), closeAfter: true)
        case .running where malformed:
            // Bytes after a request that is still being served failed to parse: the pipeline
            // handler delivers its parser error once this response is out, and that answers 400.
            break
        case .closed:
            break
        case .idle, .receiving, .running:
            logger.debug("closing connection after error", metadata: ["error": "\(error)"])
            stopRunningRequest()
            state = .closed
            context.close(promise: nil)
        }
    }

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        lastID += 1
        var exchange = Exchange(
            id: lastID, head: head, path: String(head.uri.prefix { $0 != "?" }), started: .now, deadline: nil)

        if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > maxBodyBytes {
            rejectOversized(exchange, message: "request body of \(declared) bytes exceeds the limit of \(maxBodyBytes)")
            return
        }

        var target: Target
        switch router.resolve(method: head.method.rawValue, path: exchange.path) {
        case .handler(let handler): target = .handler(handler)
        case .rejected(let rejection): target = .rejected(rejection)
        }
        if case .handler = target, let header = head.headers.first(name: "grpc-timeout") {
            do {
                exchange.deadline = exchange.started + (try GrpcTimeout.parse(header))
            } catch {
                target = .rejected(Rejection(error))
            }
        }

        if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                                  promise: nil)
        }
        state = .receiving(exchange, target, body: context.channel.allocator.buffer(capacity: 0), received: 0)
    }

    private func receiveBody(_ chunk: ByteBuffer) {
        guard case .receiving(let exchange, let target, var body, let received) = state else { return }
        let total = received + chunk.readableBytes
        guard total <= maxBodyBytes else {
            rejectOversized(exchange, message: "request body of at least \(total) bytes exceeds the limit of \(maxBodyBytes)")
            return
        }
        // Drop the state's reference first so appending does not copy the buffer.
        state = .idle
        if case .handler = target {
            body.writeImmutableBuffer(chunk)
        }
        state = .receiving(exchange, target, body: body, received: total)
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        guard case .receiving(let exchange, let target, let body, _) = state else { return }
        state = .running(exchange, task: nil, timer: nil, streaming: false)
        switch target {
        case .rejected(let rejection):
            _ = send(exchange, status: rejection.status, body: WireError.body(rejection.error), headers: rejection.headers)
        case .handler(let handler):
            start(handler, exchange: exchange, body: body, context: context)
        }
    }

    // MARK: Running a handler

    private func start(_ handler: @escaping Handler, exchange: Exchange, body: ByteBuffer, context: ChannelHandlerContext) {
        var timer: Scheduled<Void>?
        if let deadline = exchange.deadline {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                _ = replyError(exchange.id, deadlineError(exchange))
                return
            }
            let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
            let id = exchange.id
            timer = context.eventLoop.scheduleTask(in: TimeAmount(remaining)) {
                connection.value.deadlinePassed(id)
            }
        }
        let request = Request(
            path: exchange.path,
            method: exchange.head.method.rawValue,
            headers: exchange.head.headers.map { ($0.name, $0.value) },
            body: Array(body.readableBytesView),
            deadline: exchange.deadline
        )
        let writer = ResponseWriter(connection: NIOLoopBound(self, eventLoop: context.eventLoop), id: exchange.id)
        let task = Task { await writer.run(handler, request) }
        state = .running(exchange, task: task, timer: timer, streaming: false)
    }

    private func deadlinePassed(_ id: UInt64) {
        guard case .running(let exchange, let task, _, let streaming) = state, exchange.id == id else { return }
        task?.cancel()
        if streaming {
            _ = endStream(id, error: deadlineError(exchange))
        } else {
            _ = replyError(id, deadlineError(exchange))
        }
    }

    private func deadlineError(_ exchange: Exchange) -> BerthError {
        let timeout = exchange.deadline.map { exchange.started.duration(to: $0) } ?? .zero
        return BerthError(.deadlineExceeded, "\(exchange.path.dropFirst()): deadline of \(timeout) exceeded")
    }

    private func stopRunningRequest() {
        if case .running(_, let task, let timer, _) = state {
            task?.cancel()
            timer?.cancel()
        }
    }

    // MARK: Writing replies (called by the handler's task through the event loop)

    /// Answers request `id` with a complete JSON reply; false when that request is no
    /// longer the one being served (it timed out or the client left).
    func reply(_ id: UInt64, status: Int, body: [UInt8]) -> EventLoopFuture<Bool> {
        guard case .running(let exchange, _, _, false) = state, exchange.id == id else { return stale() }
        return send(exchange, status: status, body: body)
    }

    func replyError(_ id: UInt64, _ error: BerthError) -> EventLoopFuture<Bool> {
        reply(id, status: error.code.httpStatus, body: WireError.body(error))
    }

    func beginStream(_ id: UInt64) -> EventLoopFuture<Bool> {
        guard let context, case .running(let exchange, let task, let timer, false) = state, exchange.id == id else {
            return stale()
        }
        var headers = HTTPHeaders([("Content-Type", "application/x-ndjson"), ("Transfer-Encoding", "chunked")])
        if !exchange.head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        state = .running(exchange, task: task, timer: timer, streaming: true)
        let head = HTTPResponseHead(version: exchange.head.version, status: .ok, headers: headers)
        return context.writeAndFlush(wrapOutboundOut(.head(head))).map { true }.recover { _ in false }
    }

    /// Sends one stream message; the future completes once it is written, which is what
    /// keeps a fast producer from outrunning a slow client.
    func writeStreamMessage(_ id: UInt64, _ message: [UInt8]) -> EventLoopFuture<Bool> {
        guard let context, case .running(let exchange, _, _, true) = state, exchange.id == id else { return stale() }
        var buffer = context.channel.allocator.buffer(capacity: message.count + 1)
        buffer.writeBytes(message)
        if message.last != UInt8(ascii: "\n") { buffer.writeInteger(UInt8(ascii: "\n")) }
        return context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).map { true }.recover { _ in false }
    }

    func endStream(_ id: UInt64, error: BerthError?) -> EventLoopFuture<Bool> {
        guard let context, case .running(let exchange, _, _, true) = state, exchange.id == id else { return stale() }
        if let error {
            let trailer = WireError.streamTrailer(error)
            var buffer = context.channel.allocator.buffer(capacity: trailer.count)
            buffer.writeBytes(trailer)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        return finish(exchange, status: 200, closeAfter: false)
    }

    private func stale() -> EventLoopFuture<Bool> {
        eventLoop.makeSucceededFuture(false)
    }

    // MARK: Plumbing

    private var currentExchange: Exchange? {
        switch state {
        case .receiving(let exchange, _, _, _), .running(let exchange, _, _, _): exchange
        case .idle, .closed: nil
        }
    }

    private func placeholderExchange() -> Exchange {
        lastID += 1
        return Exchange(id: lastID, head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/"), path: "/",
                        started: .now, deadline: nil)
    }

    /// Answers 413 at once and closes the connection: the rest of the body is never read.
    private func rejectOversized(_ exchange: Exchange, message: String) {
        state = .running(exchange, task: nil, timer: nil, streaming: false)
        _ = send(exchange, status: 413, body: WireError.body(BerthError(.resourceExhausted, message)), closeAfter: true)
    }

    private func send(
        _ exchange: Exchange, status: Int, body: [UInt8], headers extra: [(String, String)] = [], closeAfter: Bool = false
    ) -> EventLoopFuture<Bool> {
        guard let context else { return stale() }
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.count)")])
        headers.add(contentsOf: extra)
        if closeAfter || !exchange.head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: exchange.head.version, status: HTTPResponseStatus(statusCode: status),
                                    headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        return finish(exchange, status: status, closeAfter: closeAfter)
    }

    /// Ends the response, logs it, and readies the connection for the next request.
    private func finish(_ exchange: Exchange, status: Int, closeAfter: Bool) -> EventLoopFuture<Bool> {
        guard let context else { return stale() }
        if case .running(_, _, let timer, _) = state { timer?.cancel() }
        let close = closeAfter || !exchange.head.isKeepAlive
        state = close ? .closed : .idle
        logger.debug("handled request", metadata: [
            "method": "\(exchange.head.method.rawValue)",
            "path": "\(exchange.path)",
            "status": "\(status)",
            "duration": "\(exchange.started.duration(to: .now))",
        ])
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
        return written.map { true }.recover { _ in false }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
