import ArgumentParser
import BerthBase
import CRI

/// `berthctl imagefsinfo`: where images live and how much they take.
struct ImageFsInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagefsinfo", abstract: "Return image filesystem info.")

    @ParentCommand var root: Berthctl

    @Option(name: .shortAndLong, help: "Output format: json, yaml or table.")
    var output: OutputFormat = .json

    func run() async throws {
        let info = try await root.withSession { session in
            try await session.call(
                Method.image("ImageFsInfo"), Runtime_V1_ImageFsInfoRequest(), as: Runtime_V1_ImageFsInfoResponse.self)
        }
        switch output {
        case .json, .yaml:
            // crictl nests the response under "status".
            try printDocument(.object(["status": JSONValue(message: info)]), as: output)
        case .table:
            print(Self.table(info), terminator: "")
        }
    }

    /// `FILESYSTEM  MOUNTPOINT  USED  INODES`, image filesystems first.
    static func table(_ info: Runtime_V1_ImageFsInfoResponse) -> String {
        var table = Table(header: ["FILESYSTEM", "MOUNTPOINT", "USED", "INODES"])
        let rows = info.imageFilesystems.map { ("image", $0) } + info.containerFilesystems.map { ("container", $0) }
        for (kind, usage) in rows {
            table.append([
                kind, usage.fsID.mountpoint,
                usage.hasUsedBytes ? humanSize(usage.usedBytes.value) : "-",
                usage.hasInodesUsed ? String(usage.inodesUsed.value) : "-",
            ])
        }
        return table.render()
    }
}
