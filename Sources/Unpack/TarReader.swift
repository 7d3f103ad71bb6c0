import BerthBase

/// Reads the entries of a tar stream one after another, without seeking: POSIX ustar and
/// pax, GNU tar's long names and base-256 numbers, and v7 headers. Each entry's data is
/// handed out in place, in the decompressor's blocks.
final class TarReader {
    /// Far beyond PATH_MAX: GNU long names longer than this are refused.
    static let maxLongNameSize = 64 << 10

    private let stream: DecompressedStream
    private let blobPath: String
    /// The stream's current block and the read position in it.
    private var block = UnsafeRawBufferPointer(start: nil, count: 0)
    private var offset = 0
    /// Tar bytes consumed, for messages.
    private var position: Int64 = 0
    /// The current entry's name, declared data size, data not read yet, and padding.
    private var entryName = ""
    private var dataSize: Int64 = 0
    private var dataLeft: Int64 = 0
    private var paddingLeft = 0
    /// A header split across two blocks is put together here.
    private let scratch: UnsafeMutableRawBufferPointer
    private var ended = false

    init(stream: DecompressedStream, blobPath: String) {
        self.stream = stream
        self.blobPath = blobPath
        scratch = .allocate(byteCount: TarHeader.blockSize, alignment: 16)
    }

    deinit { scratch.deallocate() }

    /// The next entry, after skipping what is left of the current one's data; nil at the
    /// end of the archive (the stream may hold more: padding that the caller drains).
    func next() throws(BerthError) -> LayerEntry? {
        if ended { return nil }
        try skipRestOfEntry()
        var local: PaxRecords?
        var longName: String?
        var longLink: String?
        while true {
            let start = position
            guard let raw = try readHeaderBlock() else {
                if local != nil || longName != nil || longLink != nil {
                    throw headerError(.corrupt("the layer ends after an extension header, before its entry"), at: start)
                }
                // No end marker at all: tolerated, as by GNU tar and libarchive; a layer cut
                // short on a header boundary still fails its diffID.
                ended = true
                return nil
            }
            // One zero block ends the archive; the second one, and whatever else follows,
            // is only hashed.
            if TarHeader.isZero(raw) {
                ended = true
                return nil
            }
            let header: TarHeader
            do {
                header = try TarHeader(raw)
            } catch {
                throw headerError(error, at: start)
            }
            switch header.typeFlag {
            case UInt8(ascii: "x"):
                var records = local ?? PaxRecords()
                try withExtension(header, limit: PaxRecords.maxHeaderSize, "pax header", at: start) { body throws(TarFormatError) in
                    try records.merge(body)
                }
                local = records
            case UInt8(ascii: "g"):
                // Read (within the size limit) and ignored, as containerd and Docker do: layers
                // must unpack the same under every runtime that computes the same diffID.
                try withExtension(header, limit: PaxRecords.maxHeaderSize, "global pax header", at: start) { _ in }
            case UInt8(ascii: "L"):
                try withExtension(header, limit: Self.maxLongNameSize, "GNU long name", at: start) { body in
                    longName = Self.cString(body)
                }
            case UInt8(ascii: "K"):
                try withExtension(header, limit: Self.maxLongNameSize, "GNU long link name", at: start) { body in
                    longLink = Self.cString(body)
                }
            default:
                return try entry(header, local ?? PaxRecords(), longName: longName, longLink: longLink)
            }
        }
    }

    /// Hands the current entry's data to `body` in pieces, valid only during the call.
    /// Fails if the stream ends before the size the header declared.
    func readData(_ body: (UnsafeRawBufferPointer) throws(BerthError) -> Void) throws(BerthError) {
        while dataLeft > 0 {
            guard try available() else { throw truncatedData() }
            let count = Int(min(Int64(block.count - offset), dataLeft))
            try body(UnsafeRawBufferPointer(rebasing: block[offset ..< offset + count]))
            consume(count)
            dataLeft -= Int64(count)
        }
    }

    // MARK: Entries

    private func entry(
        _ header: TarHeader, _ records: PaxRecords, longName: String?, longLink: String?
    ) throws(BerthError) -> LayerEntry {
        let name = records.path ?? longName ?? header.name
        entryName = name
        let fail = { (problem: String, code: ErrorCode) in BerthError(code, "layer entry \"\(name)\": \(problem)") }
        let kind: LayerEntry.Kind
        switch header.typeFlag {
        // Contiguous files ('7') are regular files to every reader but the one that wrote them.
        case UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
        // Pre-POSIX tar marked directories only by a trailing slash.
        case 0: kind = name.hasSuffix("/") ? .directory : .regular
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        case UInt8(ascii: "S"): throw fail("GNU sparse files are not supported", .invalidArgument)
        case let flag:
            throw fail("unsupported entry type '\(TarHeader.printable([flag]))'", .invalidArgument)
        }
        let size = records.size ?? header.size
        guard size >= 0 else { throw fail("negative size \(size)", .dataLoss) }
        func id(_ value: Int64, _ what: String) throws(BerthError) -> UInt32 {
            guard let id = UInt32(exactly: value) else { throw fail("\(what) \(value) out of range", .dataLoss) }
            return id
        }
        // Checked even where a pax record overrides them: a header out of range is corrupt.
        let headerUID = try id(header.uid, "uid")
        let headerGID = try id(header.gid, "gid")
        var entry = LayerEntry(path: name, kind: kind)
        if kind == .hardLink || kind == .symlink { entry.linkTarget = records.linkPath ?? longLink ?? header.linkName }
        entry.permissions = .init(truncatingIfNeeded: header.mode & 0o7777)
        entry.uid = records.uid ?? headerUID
        entry.gid = records.gid ?? headerGID
        entry.userName = records.userName ?? header.userName
        entry.groupName = records.groupName ?? header.groupName
        entry.mtime = records.mtime ?? LayerEntry.Time(seconds: header.mtime, nanoseconds: 0)
        entry.atime = records.atime ?? (header.atime != 0 ? LayerEntry.Time(seconds: header.atime, nanoseconds: 0) : nil)
        if kind == .characterDevice || kind == .blockDevice {
            let major = try id(header.deviceMajor, "device major")
            let minor = try id(header.deviceMinor, "device minor")
            entry.deviceMajor = records.deviceMajor ?? major
            entry.deviceMinor = records.deviceMinor ?? minor
        }
        entry.xattrs = records.xattrs
        // Only regular files carry data: links, directories, devices and FIFOs are
        // header-only whatever size they declare, as Go's archive/tar (containerd's) reads them.
        entry.size = kind == .regular ? size : 0
        startData(entry.size)
        return entry
    }

    /// Reads an extension header's body (bounded by `limit`) and gives it to `body`.
    private func withExtension(
        _ header: TarHeader, limit: Int, _ what: String, at start: Int64,
        _ body: (UnsafeRawBufferPointer) throws(TarFormatError) -> Void
    ) throws(BerthError) {
        guard header.size <= Int64(limit) else {
            throw headerError(.unsupported("\(what) of \(header.size) bytes, more than the \(limit) allowed"), at: start)
        }
        let size = Int(header.size)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
        defer { bytes.deallocate() }
        var filled = 0
        while filled < size {
            guard try available() else {
                throw headerError(.corrupt("the layer ends inside a \(what) of \(size) bytes"), at: start)
            }
            let count = min(block.count - offset, size - filled)
            UnsafeMutableRawBufferPointer(rebasing: bytes[filled ..< filled + count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: block[offset ..< offset + count]))
            consume(count)
            filled += count
        }
        startData(0)
        paddingLeft = Self.padding(after: Int64(size))
        do {
            try body(UnsafeRawBufferPointer(bytes))
        } catch {
            throw headerError(error, at: start)
        }
        try skipRestOfEntry()
    }

    private func startData(_ size: Int64) {
        dataSize = size
        dataLeft = size
        paddingLeft = Self.padding(after: size)
    }

    private static func padding(after size: Int64) -> Int {
        Int((Int64(TarHeader.blockSize) - size % Int64(TarHeader.blockSize)) % Int64(TarHeader.blockSize))
    }

    /// Text up to the first NUL: GNU long names are C strings.
    private static func cString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: The stream

    /// Skips the data the writer did not read and the padding after it.
    private func skipRestOfEntry() throws(BerthError) {
        try readData { _ in }
        while paddingLeft > 0 {
            guard try available() else {
                throw BerthError(.dataLoss, "layer entry \"\(entryName)\": the layer ends inside the padding after its data")
            }
            let count = min(block.count - offset, paddingLeft)
            consume(count)
            paddingLeft -= count
        }
    }

    /// The next 512 bytes, in place when the block holds them; nil when the stream ends
    /// right here.
    private func readHeaderBlock() throws(BerthError) -> UnsafeRawBufferPointer? {
        let size = TarHeader.blockSize
        guard try available() else { return nil }
        if block.count - offset >= size {
            let header = UnsafeRawBufferPointer(rebasing: block[offset ..< offset + size])
            consume(size)
            return header
        }
        var filled = 0
        while filled < size {
            guard try available() else {
                throw headerError(.corrupt("the layer ends inside a tar header"), at: position - Int64(filled))
            }
            let count = min(block.count - offset, size - filled)
            UnsafeMutableRawBufferPointer(rebasing: scratch[filled ..< filled + count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: block[offset ..< offset + count]))
            consume(count)
            filled += count
        }
        return UnsafeRawBufferPointer(scratch)
    }

    /// Whether unread bytes are at hand, fetching the stream's next block if needed.
    private func available() throws(BerthError) -> Bool {
        if offset < block.count { return true }
        block = try stream.next()
        offset = 0
        return !block.isEmpty
    }

    private func consume(_ count: Int) {
        offset += count
        position += Int64(count)
    }

    private func truncatedData() -> BerthError {
        BerthError(
            .dataLoss,
            "layer entry \"\(entryName)\": read data: declares \(dataSize) bytes, the layer ends after \(dataSize - dataLeft)")
    }

    private func headerError(_ error: TarFormatError, at start: Int64) -> BerthError {
        let after = entryName.isEmpty ? "" : " (after entry \"\(entryName)\")"
        return BerthError(error.code, "unpack \(blobPath): tar header at byte \(start)\(after): \(error.message)")
    }
}
