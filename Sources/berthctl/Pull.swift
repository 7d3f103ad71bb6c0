import ArgumentParser
import BerthBase
import CRI
import Foundation

/// `berthctl pull IMAGE`: pulls an image, showing per-layer progress on a terminal.
struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pull an image from a registry.")

    @ParentCommand var root: Berthctl

    @Argument(help: "The image reference, e.g. busybox:latest.")
    var image: String

    @Option(help: "Registry credentials as USERNAME:PASSWORD.")
    var creds: String?

    @Option(help: "Registry credentials, base64 encoded as docker keeps them.")
    var auth: String?

    @Option(name: [.customShort("u"), .long], help: "Registry user name.")
    var username: String?

    @Option(name: [.customShort("p"), .long], help: "Registry password (with --username).")
    var password: String?

    @Option(help: "Deadline of the whole pull, e.g. 5m (0 for none).")
    var pullTimeout = Timeout(duration: nil)

    func validate() throws {
        _ = try Credentials.authConfig(creds: creds, auth: auth, username: username, password: password)
    }

    func run() async throws {
        var request = Runtime_V1_PullImageRequest()
        request.image.image = image
        if let config = try Credentials.authConfig(creds: creds, auth: auth, username: username, password: password) {
            request.auth = config
        }
        let imageRef = try await root.withSession { session in
            isatty(STDOUT_FILENO) == 1
                ? try await Self.pullShowingProgress(request, session: session, timeout: pullTimeout.duration)
                : try await session.call(
                    Method.image("PullImage"), request, as: Runtime_V1_PullImageResponse.self,
                    timeout: .some(pullTimeout.duration)
                ).imageRef
        }
        print("Image is up to date for \(imageRef)")
    }

    /// Pulls over the progress stream, redrawing one line per layer as reports arrive.
    static func pullShowingProgress(
        _ request: Runtime_V1_PullImageRequest, session: Session, timeout: Duration?
    ) async throws -> String {
        let body: [UInt8]
        do {
            body = try request.jsonUTF8Bytes()
        } catch {
            throw BerthError(.internal, "encode pull request: \(error)")
        }
        return try await withDeadline(timeout, context: "pull \(request.image.image)") {
            var board = PullProgressBoard()
            var lastDraw = ContinuousClock.now - .seconds(1)
            for try await line in session.client.stream("/berth.v1.ImageService/PullImageProgress", body: body) {
                session.trace("<- progress \(String(decoding: line, as: UTF8.self))")
                switch try PullEvent(line: line) {
                case .progress(let progress):
                    board.update(progress)
                    // A redraw per report would flicker and flood slow terminals.
                    if ContinuousClock.now - lastDraw >= .milliseconds(100) {
                        write(board.redraw())
                        lastDraw = .now
                    }
                case .finished(let imageRef):
                    write(board.redraw())
                    return imageRef
                case .failed(let error):
                    write(board.redraw())
                    throw error
                }
            }
            throw BerthError(.unavailable, "pull \(request.image.image): berthd ended the progress stream without a result")
        }
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Runs `operation`, failing with `deadline_exceeded` if it outlasts `timeout`.
func withDeadline<T: Sendable>(
    _ timeout: Duration?, context: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let timeout else { return try await operation() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw BerthError(.deadlineExceeded, "\(context): no result within \(timeout)")
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else {
            throw BerthError(.internal, "\(context): no result")
        }
        return result
    }
}

/// The registry credentials crictl accepts, as one CRI `AuthConfig`.
enum Credentials {
    static func authConfig(
        creds: String?, auth: String?, username: String?, password: String?
    ) throws(ValidationError) -> Runtime_V1_AuthConfig? {
        let given = [creds != nil, auth != nil, username != nil || password != nil].filter { $0 }.count
        guard given <= 1 else {
            throw ValidationError("use only one of --creds, --auth and --username/--password")
        }
        var config = Runtime_V1_AuthConfig()
        if let creds {
            guard let colon = creds.firstIndex(of: ":"), colon != creds.startIndex else {
                throw ValidationError("--creds must be USERNAME:PASSWORD")
            }
            config.username = String(creds[..<colon])
            config.password = String(creds[creds.index(after: colon)...])
        } else if let auth {
            guard Data(base64Encoded: auth) != nil else {
                throw ValidationError("--auth must be base64 (of USERNAME:PASSWORD)")
            }
            config.auth = auth
        } else if username != nil || password != nil {
            guard let username, !username.isEmpty else {
                throw ValidationError("--password needs --username")
            }
            config.username = username
            config.password = password ?? ""
        } else {
            return nil
        }
        return config
    }
}
