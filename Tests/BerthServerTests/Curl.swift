import Foundation

/// The result of one `curl --unix-socket` run.
struct CurlResult {
    var status: Int
    var body: String
    var headers: String
    var exitCode: Int32
}

let curlAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

/// Runs curl against the socket; `-w` appends the status after the body.
func curl(socket: String, path: String, arguments: [String]) async throws -> CurlResult {
    let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("curl-headers-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: headerFile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-sS", "--max-time", "10", "--unix-socket", socket, "-D", headerFile,
                         "-w", "\n%{http_code}"] + arguments + ["http://localhost\(path)"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let finished = AsyncStream<Void>.makeStream()
    process.terminationHandler = { _ in finished.continuation.finish() }
    try process.run()
    let reader = output.fileHandleForReading
    let data = try await blocking { reader.readDataToEndOfFile() }
    for await _ in finished.stream {}
    var text = String(decoding: data, as: UTF8.self)
    var status = 0
    if let newline = text.lastIndex(of: "\n") {
        status = Int(text[text.index(after: newline)...]) ?? 0
        text = String(text[..<newline])
    }
    let headers = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
    return CurlResult(status: status, body: text, headers: headers, exitCode: process.terminationStatus)
}
