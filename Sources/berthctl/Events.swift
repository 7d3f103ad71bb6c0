import ArgumentParser
import CRI
import Foundation
import SwiftProtobuf

/// `berthctl events`: the container lifecycle events as they happen, one line each (or one
/// JSON document per event with `-o json`), until interrupted.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stream container lifecycle events.")

    @ParentCommand var root: Berthctl

    @Option(name: .shortAndLong, help: "Output format: json or table (one line per event).")
    var output: OutputFormat = .table

    func run() async throws {
        try await root.withSession { session in
            for try await event in session.client.containerEvents() {
                switch output {
                case .json, .yaml:
                    // One compact document per line, written at once, so a pipe sees each event as it comes.
                    let line: [UInt8] = try event.jsonUTF8Bytes()
                    FileHandle.standardOutput.write(Data(line + [0x0a]))
                case .table:
                    let name = event.containersStatuses.first { $0.id == event.containerID }?.metadata.name ?? ""
                    let pod = event.podSandboxStatus.metadata.name
                    let text = "\(Self.time(event.createdAt)) \(Self.name(event.containerEventType)) \(event.containerID.prefix(13)) \(name) pod=\(pod)\n"
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            }
        }
    }

    static func name(_ type: Runtime_V1_ContainerEventType) -> String {
        switch type {
        case .containerCreatedEvent: "CREATED"
        case .containerStartedEvent: "STARTED"
        case .containerStoppedEvent: "STOPPED"
        case .containerDeletedEvent: "DELETED"
        case .UNRECOGNIZED(let value): "UNKNOWN(\(value))"
        }
    }

    static func time(_ nanos: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(nanos) / 1e9)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
