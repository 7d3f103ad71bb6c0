import BerthBase
import Foundation
import HTTPClient
import ImageReference
import Logging

/// What a request is for, deciding the token scope.
enum Access {
    case pull
    case push

    func scope(repository: String) -> String {
        switch self {
        case .pull: "repository:\(repository):pull"
        case .push: "repository:\(repository):pull,push"
        }
    }
}

extension RegistryClient {
    /// Runs blocking registry work off the cooperative pool; the task's cancellation reaches
    /// the transfer through the flag.
    func blocking<T: Sendable>(
        _ subject: String, _ body: @escaping @Sendable (CancellationFlag) throws(BerthError) -> T
    ) async throws(BerthError) -> T {
        if Task.isCancelled { throw BerthError(.cancelled, "\(subject): cancelled") }
        do {
            return try await runBlocking(name: "berth-registry") { flag in try body(flag) }
        } catch let error as BerthError {
            throw error
        } catch {
            throw BerthError.wrapping(error, context: subject)
        }
    }

    /// Tries `body` on each endpoint for `domain` in turn: mirrors first, then the host.
    /// A mirror that cannot be reached, lacks the content (404) or fails (5xx) hands over to
    /// the next, unless `mayRetry` says the attempt left state behind.
    func onEndpoints<T>(
        domain: String, subject: String, mayRetry: () -> Bool = { true },
        _ body: (RegistryEndpoint) throws(BerthError) -> T
    ) throws(BerthError) -> T {
        var failures: [(endpoint: RegistryEndpoint, error: BerthError)] = []
        for endpoint in RegistryEndpoint.all(for: domain, configuration: configuration) {
            do {
                return try body(endpoint)
            } catch {
                failures.append((endpoint, error))
                let handsOver = error.code == .notFound || error.code == .unavailable
                guard endpoint.isMirror, handsOver, mayRetry() else { break }
                logger.info("registry mirror failed, trying the next endpoint", metadata: [
                    "mirror": "\(endpoint)", "subject": "\(subject)", "error": "\(error.message)",
                ])
            }
        }
        throw combined(failures, subject: subject)
    }

    /// One error for every endpoint tried: a definite "not found" outranks an unreachable
    /// host, and the others are named after it.
    private func combined(_ failures: [(endpoint: RegistryEndpoint, error: BerthError)], subject: String) -> BerthError {
        guard var primary = failures.last else { return BerthError(.internal, "\(subject): no registry endpoint") }
        if primary.error.code == .unavailable, let notFound = failures.first(where: { $0.error.code == .notFound }) {
            primary = notFound
        }
        let others = failures.filter { $0.endpoint != primary.endpoint }
            .map { "\($0.endpoint): \($0.error.code.rawValue)" }
        let also = others.isEmpty ? "" : " (also tried \(others.joined(separator: ", ")))"
        let message = primary.error.code == .cancelled ? "cancelled" : primary.error.message
        return BerthError(primary.error.code, "\(subject): \(message)\(also)")
    }

    /// Sends `request` to one endpoint, answering one authentication challenge if the
    /// registry raises it. Returns the final response whatever its status.
    func exchange(
        _ request: TransferRequest, at endpoint: RegistryEndpoint, repository: String, access: Access,
        credentials: Credentials?, flag: CancellationFlag, sink: TransferSink? = nil
    ) throws(BerthError) -> TransferResponse {
        let scope = access.scope(repository: repository)
        let sent = try authorizer.authorization(endpoint: endpoint, scope: scope, credentials: credentials, flag: flag)
        let response = try transfer(request, authorization: sent, at: endpoint, flag: flag, sink: sink)
        guard response.status == 401, credentials?.registryToken == nil else { return response }
        let answer = try authorizer.respond(to: response, endpoint: endpoint, scope: scope, credentials: credentials, flag: flag)
        // The same answer again would only be refused again.
        guard answer != sent else { return response }
        return try transfer(request, authorization: answer, at: endpoint, flag: flag, sink: sink)
    }

    private func transfer(
        _ request: TransferRequest, authorization: String?, at endpoint: RegistryEndpoint, flag: CancellationFlag, sink: TransferSink?
    ) throws(BerthError) -> TransferResponse {
        var request = request
        if let authorization { request.headers.append("Authorization: \(authorization)") }
        do {
            var options = options
            options.verifyTLS = endpoint.verifyTLS
            let response = try HTTPClient.transfer(request, options: options, flag: flag, sink: sink)
            logger.debug("registry request", metadata: [
                "method": "\(request.method)", "url": "\(request.url)", "status": "\(response.status)",
            ])
            return response
        } catch {
            throw error.berthError(endpoint: endpoint.base)
        }
    }

    /// Throws unless the response has one of the `expected` statuses, with the code the
    /// status means and the registry's own explanation.
    func check(_ response: TransferResponse, expected: Set<Int>, at endpoint: RegistryEndpoint) throws(BerthError) {
        if expected.contains(response.status) { return }
        let detail = registryMessage(response)
        switch response.status {
        case 404:
            throw BerthError(.notFound, "not found")
        case 401:
            throw BerthError(.unauthenticated, "\(endpoint): unauthorized\(detail)")
        case 403:
            throw BerthError(.permissionDenied, "\(endpoint): access denied\(detail)")
        case 429:
            throw BerthError(.resourceExhausted, "\(endpoint): too many requests\(detail)")
        case 500...:
            throw BerthError(.unavailable, "\(endpoint): HTTP \(response.status)\(detail)")
        default:
            throw BerthError(.unknown, "\(endpoint): unexpected HTTP \(response.status)\(detail)")
        }
    }
}
