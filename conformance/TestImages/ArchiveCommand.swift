import ArgumentParser
import BerthBase
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// `archive --from DIR --name NAME --out FILE.tar`: one layout as a tar, for import tests.
struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write one image's OCI layout as a tar archive (what `oci-archive:` reads).")

    @Option(name: .long, help: "Directory the layouts were built in.")
    var from: String

    @Option(name: .long, help: "The image to archive.")
    var name: String

    @Option(name: .long, help: "The tar file to write.")
    var out: String

    func run() throws {
        try reportingFailure { () throws(BerthError) in
            let layout = "\(from)/\(name)"
            guard readLayoutIndex(layout) != nil else {
                throw BerthError(.notFound, "\(layout): no OCI layout (run `berth-testimages build --out \(from)` first)")
            }
            try LayoutArchive.write(layout, to: out)
            let size = FileSystem.usage(out).bytes
            print("archived \(layout) to \(out) (\(size / 1_000_000) MB)")
        }
    }
}

/// Writes an OCI layout directory as an uncompressed tar with the layout at its root.
enum LayoutArchive {
    static func write(_ layout: String, to path: String) throws(BerthError) {
        guard let tar = archive_write_new() else { throw BerthError(.resourceExhausted, "archive_write_new failed") }
        defer { archive_write_free(tar) }
        let temporary = "\(path).partial"
        try check(tar, archive_write_set_format_pax_restricted(tar), "set pax format")
        try check(tar, archive_write_set_bytes_in_last_block(tar, 1), "set last block")
        try check(tar, archive_write_open_filename(tar, temporary), "create \(temporary)")
        do {
            for entry in try entries(of: layout) {
                try TarEntries.write(entry, to: tar)
            }
            try check(tar, archive_write_close(tar), "finish \(temporary)")
        } catch {
            unlink(temporary)
            throw BerthError.wrapping(error, context: "archive \(layout)")
        }
        if rename(temporary, path) != 0 {
            throw BerthError(.internal, "rename \(temporary) to \(path): \(FileSystem.errnoText())")
        }
    }

    private static func entries(of layout: String) throws(BerthError) -> [LayerEntry] {
        var entries = [LayerEntry]()
        for name in ["oci-layout", "index.json"] {
            entries.append(try regularFile(layout + "/" + name, as: name))
        }
        for name in FileSystem.list(layout + "/blobs/sha256") where !name.hasPrefix(".") {
            entries.append(try regularFile("\(layout)/blobs/sha256/\(name)", as: "blobs/sha256/\(name)"))
        }
        return entries.normalized()
    }

    private static func regularFile(_ path: String, as name: String) throws(BerthError) -> LayerEntry {
        var info = stat()
        guard stat(path, &info) == 0 else { throw BerthError(.notFound, "stat \(path): \(FileSystem.errnoText())") }
        return LayerEntry(path: name, content: .hostFile(path: path, size: Int64(info.st_size)), permissions: 0o644)
    }
}
