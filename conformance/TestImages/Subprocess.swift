import BerthBase
import Foundation
import Synchronization

/// Runs a tool to completion and returns its standard output; a non-zero exit becomes an
/// error carrying the tool's standard error.
func runTool(_ executable: String, _ arguments: [String]) throws(BerthError) -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    let command = ([executable] + arguments).joined(separator: " ")
    do {
        try process.run()
    } catch {
        throw BerthError(.failedPrecondition, "run \(command): \(error)")
    }
    // Drain stderr on its own thread so neither pipe can fill and stall the child.
    let errorText = Captured()
    let drained = DispatchSemaphore(value: 0)
    Thread {
        let text = Array(errors.fileHandleForReading.readDataToEndOfFile())
        errorText.bytes.withLock { $0 = text }
        drained.signal()
    }.start()
    let bytes = Array(output.fileHandleForReading.readDataToEndOfFile())
    process.waitUntilExit()
    drained.wait()
    guard process.terminationStatus == 0 else {
        // Tools such as skopeo log retries first; their last line says why they gave up.
        let lines = String(decoding: errorText.bytes.withLock { $0 }, as: UTF8.self).split(whereSeparator: \.isNewline)
        let message = lines.last.map(String.init) ?? "no error output"
        throw BerthError(.internal, "\(command): exit status \(process.terminationStatus): \(message)")
    }
    return bytes
}

/// Standard error, filled in by the thread that drains it.
private final class Captured: Sendable {
    let bytes = Mutex<[UInt8]>([])
}
