/// The wire error codes: gRPC's code names, each with the HTTP status Berth answers with.
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    case cancelled
    case unknown
    case invalidArgument = "invalid_argument"
    case deadlineExceeded = "deadline_exceeded"
    case notFound = "not_found"
    case alreadyExists = "already_exists"
    case permissionDenied = "permission_denied"
    case resourceExhausted = "resource_exhausted"
    case failedPrecondition = "failed_precondition"
    case aborted
    case outOfRange = "out_of_range"
    case unimplemented
    case `internal`
    case unavailable
    case dataLoss = "data_loss"
    case unauthenticated

    /// The HTTP status for this code, as grpc-gateway maps them.
    public var httpStatus: Int {
        switch self {
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .resourceExhausted: 429
        case .cancelled: 499
        case .unimplemented: 501
        case .unavailable: 503
        case .deadlineExceeded: 504
        case .unknown, .internal, .dataLoss: 500
        }
    }
}

/// The one public error type: a wire code and a message that says what failed, on what, and why.
public struct BerthError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Wraps any error with context, keeping the code of a `BerthError` and mapping
    /// cancellation; other errors become `internal`.
    public static func wrapping(_ error: any Error, context: String) -> BerthError {
        if let error = error as? BerthError {
            return BerthError(error.code, "\(context): \(error.message)")
        }
        if error is CancellationError {
            return BerthError(.cancelled, "\(context): cancelled")
        }
        return BerthError(.internal, "\(context): \(error)")
    }
}

/// Runs `body`, prefixing any error it throws with `context`.
public func withErrorContext<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws(BerthError) -> T {
    do {
        return try body()
    } catch {
        throw BerthError.wrapping(error, context: context())
    }
}

/// Runs `body`, prefixing any error it throws with `context`.
public func withErrorContext<T>(
    _ context: @autoclosure () -> String,
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> T
) async throws(BerthError) -> T {
    do {
        return try await body()
    } catch {
        throw BerthError.wrapping(error, context: context())
    }
}
