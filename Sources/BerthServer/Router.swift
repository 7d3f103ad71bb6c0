import BerthBase

/// Maps request paths to handlers: exact paths for unary and streaming CRI methods,
/// and path prefixes for URLs minted at run time (such as one-time streaming URLs).
public struct Router: Sendable {
    private struct Route: Sendable {
        var methods: Set<String>
        var handler: Handler
    }

    private var exact: [String: Route] = [:]
    private var prefixes: [(prefix: String, route: Route)] = []
    private var webSockets: [(prefix: String, acceptor: WebSocketAcceptor)] = []

    public init() {}

    /// Serves `path` (e.g. `/runtime.v1.ImageService/PullImage`) with `handler`; other HTTP
    /// methods on that path are answered with 405.
    public mutating func register(_ path: String, methods: Set<String> = ["POST"], _ handler: @escaping Handler) {
        exact[path] = Route(methods: methods, handler: handler)
    }

    /// Serves every path that starts with `prefix`. Exact routes win; among prefixes the
    /// longest match wins.
    public mutating func registerPrefix(_ prefix: String, methods: Set<String> = ["POST"], _ handler: @escaping Handler) {
        prefixes.append((prefix, Route(methods: methods, handler: handler)))
        prefixes.sort { $0.prefix.count > $1.prefix.count }
    }

    /// Lets requests for paths under `prefix` upgrade to WebSocket when `acceptor` agrees.
    /// Register a plain route for the prefix too: it answers requests that do not upgrade.
    public mutating func registerWebSocket(_ prefix: String, _ acceptor: @escaping WebSocketAcceptor) {
        webSockets.append((prefix, acceptor))
    }

    func webSocketAcceptor(for path: String) -> WebSocketAcceptor? {
        webSockets.first { path.hasPrefix($0.prefix) }?.acceptor
    }

    /// Finds the handler for a request, or the rejection to answer with instead.
    func resolve(method: String, path: String) -> Resolution {
        let route = exact[path] ?? prefixes.first { path.hasPrefix($0.prefix) }?.route
        guard let route else {
            let name = path.count > 1 && path.hasPrefix("/") ? String(path.dropFirst()) : path
            return .rejected(Rejection(BerthError(.unimplemented, "unknown method \(name)")))
        }
        guard route.methods.contains(method) else {
            let allowed = route.methods.sorted().joined(separator: ", ")
            let plural = route.methods.count == 1 ? "" : " or one of"
            return .rejected(Rejection(
                status: 405,
                BerthError(.invalidArgument, "method \(method) not allowed; use\(plural) \(allowed)"),
                headers: [("Allow", allowed)]
            ))
        }
        return .handler(route.handler)
    }

    enum Resolution {
        case handler(Handler)
        case rejected(Rejection)
    }
}

/// An error reply decided by the transport itself, sometimes with a status that differs
/// from the code's usual one (405 for a wrong HTTP method).
struct Rejection: Sendable {
    var status: Int
    var error: BerthError
    var headers: [(String, String)]

    init(status: Int? = nil, _ error: BerthError, headers: [(String, String)] = []) {
        self.status = status ?? error.code.httpStatus
        self.error = error
        self.headers = headers
    }
}
