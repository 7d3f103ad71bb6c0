import BerthBase
import NIOCore

/// Runs a handler in its own task and carries its answer back to the connection's event
/// loop. Every write names the request it belongs to, so a handler that outlived its
/// deadline or its client can never write into a later request's response.
struct ResponseWriter: Sendable {
    let connection: NIOLoopBound<ConnectionHandler>
    let id: UInt64

    func run(_ handler: Handler, _ request: Request) async {
        let response: Response
        do {
            response = try await handler(request)
        } catch {
            await onLoop { $0.replyError(id, .fromHandler(error)) }
            return
        }
        switch response {
        case .json(let status, let body):
            await onLoop { $0.reply(id, status: status, body: body) }
        case .stream(let messages):
            guard await onLoop({ $0.beginStream(id) }) else { return }
            do {
                for try await message in messages {
                    guard await onLoop({ $0.writeStreamMessage(id, message) }) else { return }
                }
                await onLoop { $0.endStream(id, error: nil) }
            } catch {
                await onLoop { $0.endStream(id, error: .fromHandler(error)) }
            }
        }
    }

    /// Runs `body` on the connection's event loop; false when the request is no longer current.
    @discardableResult
    private func onLoop(_ body: @escaping @Sendable (ConnectionHandler) -> EventLoopFuture<Bool>) async -> Bool {
        let connection = self.connection
        let written = connection.eventLoop.flatSubmit { body(connection.value) }
        return (try? await written.get()) ?? false
    }
}
