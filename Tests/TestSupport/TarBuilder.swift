#if canImport(Glibc)
import Glibc
#endif
import CArchive
import Foundation

/// One entry of a test layer.
public struct TarEntry: Sendable {
    public var path: String
    public var type: mode_t = S_IFREG
    public var mode: mode_t = 0o644
    public var uid: Int64 = 0
    public var gid: Int64 = 0
    public var mtime: (Int, Int) = (1_700_000_000, 0)
    public var atime: (Int, Int)?
    public var data: [UInt8] = []
    public var symlink: String?
    public var hardlink: String?
    public var device: (major: UInt32, minor: UInt32)?
    public var xattrs: [(String, [UInt8])] = []

    public init(
        path: String, type: mode_t = S_IFREG, mode: mode_t = 0o644, uid: Int64 = 0, gid: Int64 = 0,
        mtime: (Int, Int) = (1_700_000_000, 0), atime: (Int, Int)? = nil, data: [UInt8] = [],
        symlink: String? = nil, hardlink: String? = nil, device: (major: UInt32, minor: UInt32)? = nil,
        xattrs: [(String, [UInt8])] = []
    ) {
        self.path = path
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
        self.atime = atime
        self.data = data
        self.symlink = symlink
        self.hardlink = hardlink
        self.device = device
        self.xattrs = xattrs
    }

    public static func file(_ path: String, _ text: String = "", mode: mode_t = 0o644) -> TarEntry {
        TarEntry(path: path, mode: mode, data: Array(text.utf8))
    }
    public static func directory(_ path: String, mode: mode_t = 0o755) -> TarEntry {
        TarEntry(path: path, type: S_IFDIR, mode: mode)
    }
    public static func symlink(_ path: String, to target: String) -> TarEntry {
        TarEntry(path: path, type: S_IFLNK, mode: 0o777, symlink: target)
    }
    public static func hardlink(_ path: String, to target: String) -> TarEntry {
        TarEntry(path: path, hardlink: target)
    }
}

public enum TarFormat: String, CaseIterable, Sendable { case ustar, pax, gnu }
public enum TarCompression: String, CaseIterable, Sendable { case none, gzip, zstd }

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes test layers with libarchive's writer, as image build tools do. Shared by the
/// unpacker's tests and the daemon's hostile-image tests.
public enum TarBuilder {
    public static func write(_ entries: [TarEntry], to path: String, format: TarFormat = .pax, compression: TarCompression = .none) throws {
        guard let archive = archive_write_new() else { throw TestFailure("archive_write_new") }
        defer { archive_write_free(archive) }
        switch format {
        case .ustar: archive_write_set_format_ustar(archive)
        case .pax: archive_write_set_format_pax_restricted(archive)
        case .gnu: archive_write_set_format_gnutar(archive)
        }
        switch compression {
        case .none: break
        case .gzip: archive_write_add_filter_gzip(archive)
        case .zstd: archive_write_add_filter_zstd(archive)
        }
        // Layers are not padded to tar's 10 KiB records.
        archive_write_set_bytes_per_block(archive, 0)
        guard archive_write_open_filename(archive, path) == ARCHIVE_OK else { throw failure(archive) }
        for item in entries {
            guard let entry = archive_entry_new() else { throw TestFailure("archive_entry_new") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname(entry, item.path)
            archive_entry_set_filetype(entry, UInt32(item.type))
            archive_entry_set_perm(entry, item.mode)
            archive_entry_set_uid(entry, item.uid)
            archive_entry_set_gid(entry, item.gid)
            archive_entry_set_mtime(entry, time_t(item.mtime.0), item.mtime.1)
            if let atime = item.atime { archive_entry_set_atime(entry, time_t(atime.0), atime.1) }
            if let symlink = item.symlink { archive_entry_set_symlink(entry, symlink) }
            if let hardlink = item.hardlink { archive_entry_set_hardlink(entry, hardlink) }
            if let device = item.device {
                archive_entry_set_rdevmajor(entry, dev_t(device.major))
                archive_entry_set_rdevminor(entry, dev_t(device.minor))
            }
            for (name, value) in item.xattrs {
                value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, name, $0.baseAddress, $0.count) }
            }
            archive_entry_set_size(entry, item.type == S_IFREG && item.hardlink == nil ? Int64(item.data.count) : 0)
            guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw failure(archive) }
            if !item.data.isEmpty {
                let written = item.data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
                guard written == item.data.count else { throw failure(archive) }
            }
        }
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure(archive) }
    }

    private static func failure(_ archive: OpaquePointer) -> TestFailure {
        TestFailure(archive_error_string(archive).map { String(cString: $0) } ?? "libarchive write failed")
    }
}

/// Hand-made tar bytes, for headers libarchive's writer does not produce (pax `atime`).
public enum RawTar {
    public static func header(name: String, type: UInt8, size: Int, mode: Int = 0o644, mtime: Int = 1_700_000_000) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(mtime, width: 12), at: 136)
        block[156] = type
        put("ustar", at: 257)
        put("00", at: 263)
        put("        ", at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        return block
    }

    public static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// One regular file preceded by a pax extended header holding `records`.
    public static func file(_ name: String, _ data: [UInt8], pax records: [(String, String)]) -> [UInt8] {
        var pax: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count != length { length += 1 }
            pax += Array("\(length)\(body)".utf8)
        }
        return header(name: "PaxHeaders/\(name)", type: UInt8(ascii: "x"), size: pax.count) + padded(pax)
            + header(name: name, type: UInt8(ascii: "0"), size: data.count) + padded(data)
            + [UInt8](repeating: 0, count: 1024)
    }
}
