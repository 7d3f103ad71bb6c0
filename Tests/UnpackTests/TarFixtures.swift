#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import CArchive
import Foundation
import TestSupport
@testable import Unpack

/// A tar header built field by field, for what no writer at hand produces: base-256
/// numbers, v7 headers, odd type flags, broken checksums.
struct RawHeader {
    var name = "file"
    var type: UInt8 = UInt8(ascii: "0")
    var size = 0
    var mode = 0o644
    var uid = 0
    var gid = 0
    var mtime = 1_700_000_000
    var linkName = ""
    var magic: [UInt8] = Array("ustar\u{0}00".utf8)
    /// Raw bytes laid over the fields after they are filled (base-256 numbers, prefixes).
    var overrides: [(offset: Int, bytes: [UInt8])] = []

    var bytes: [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) {
            for (index, byte) in bytes.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8)
        }
        put(Array(name.utf8), at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(uid, width: 8), at: 108)
        put(octal(gid, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(mtime, width: 12), at: 136)
        block[156] = type
        put(Array(linkName.utf8), at: 157)
        put(magic, at: 257)
        for (offset, bytes) in overrides { put(bytes, at: offset) }
        put(Array("        ".utf8), at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        return block
    }
}

enum RawTarStream {
    static let end = [UInt8](repeating: 0, count: 1024)

    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// A pax extended header (`x`) or global header (`g`) holding `records`.
    static func pax(_ records: [(String, [UInt8])], type: UInt8 = UInt8(ascii: "x")) -> [UInt8] {
        var body: [UInt8] = []
        for (key, value) in records {
            let rest = 1 + key.utf8.count + 1 + value.count + 1
            var length = rest + 1
            while String(length).utf8.count + rest != length { length += 1 }
            body += Array("\(length) \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        }
        return RawHeader(name: "PaxHeaders/x", type: type, size: body.count).bytes + padded(body)
    }

    static func pax(_ records: [(String, String)], type: UInt8 = UInt8(ascii: "x")) -> [UInt8] {
        pax(records.map { ($0.0, Array($0.1.utf8)) }, type: type)
    }

    /// A regular file: header and padded data.
    static func file(_ name: String, _ data: [UInt8], configure: (inout RawHeader) -> Void = { _ in }) -> [UInt8] {
        var header = RawHeader(name: name, size: data.count)
        configure(&header)
        return header.bytes + padded(data)
    }
}

/// Compresses bytes with libarchive's filters (its raw format): an independent writer
/// for each compression, and the ones berthd refuses.
enum Compress {
    enum Filter { case gzip, zstd, xz, bzip2 }

    static func bytes(_ input: [UInt8], _ filter: Filter) throws -> [UInt8] {
        guard let archive = archive_write_new() else { throw TestFailure("archive_write_new") }
        defer { archive_write_free(archive) }
        switch filter {
        case .gzip: archive_write_add_filter_gzip(archive)
        case .zstd: archive_write_add_filter_zstd(archive)
        case .xz: archive_write_add_filter_xz(archive)
        case .bzip2: archive_write_add_filter_bzip2(archive)
        }
        archive_write_set_format_raw(archive)
        archive_write_set_bytes_in_last_block(archive, 1)
        var output = [UInt8](repeating: 0, count: input.count * 2 + 65536)
        var used = 0
        let opened = output.withUnsafeMutableBytes { archive_write_open_memory(archive, $0.baseAddress, $0.count, &used) }
        guard opened == ARCHIVE_OK, let entry = archive_entry_new() else { throw TestFailure("open compressor") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "data")
        archive_entry_set_filetype(entry, UInt32(Glibc.S_IFREG))
        guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw TestFailure("compressor header") }
        let written = input.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard written == input.count, archive_write_close(archive) == ARCHIVE_OK else { throw TestFailure("compress") }
        return Array(output.prefix(used))
    }
}

/// Reads every entry of `blob` with the tar reader, data included.
func readEntries(_ blob: [UInt8]) throws -> [(entry: LayerEntry, data: [UInt8])] {
    let work = try TestDirectory()
    let path = work.file("blob")
    guard FileManager.default.createFile(atPath: path, contents: Data(blob)) else { throw TestFailure("write blob") }
    return try readEntries(at: path)
}

func readEntries(at path: String, inputSize: Int = DecompressedStream.inputSize, outputSize: Int = DecompressedStream.outputSize) throws -> [(entry: LayerEntry, data: [UInt8])] {
    let stream = try DecompressedStream(blob: path, cancel: CancellationFlag(), inputSize: inputSize, outputSize: outputSize)
    let reader = TarReader(stream: stream, blobPath: path)
    var entries: [(entry: LayerEntry, data: [UInt8])] = []
    while let entry = try reader.next() {
        var data: [UInt8] = []
        try reader.readData { data += $0 }
        entries.append((entry, data))
    }
    try stream.drain()
    return entries
}

/// The error reading `blob` fails with.
func readError(_ blob: [UInt8]) -> BerthError? {
    do {
        _ = try readEntries(blob)
        return nil
    } catch let error as BerthError {
        return error
    } catch {
        return BerthError(.unknown, "\(error)")
    }
}

/// Runs a program to its end; fails with its standard error unless it exits 0.
func run(_ program: String, _ arguments: [String], in directory: String? = nil) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let text = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(program) \(arguments.joined(separator: " ")): \(String(decoding: text, as: UTF8.self))")
    }
}
