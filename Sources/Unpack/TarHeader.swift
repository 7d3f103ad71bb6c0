/// One 512-byte tar header block, as POSIX ustar, GNU tar and v7 tar lay it out.
struct TarHeader {
    static let blockSize = 512

    enum Format: Equatable {
        /// No magic: names up to 100 bytes, no owner names.
        case v7
        /// POSIX ustar (and pax, which adds extension headers): a name prefix field.
        case ustar
        /// GNU tar's "ustar  " variant: access time where ustar has its prefix.
        case gnu
    }

    var format: Format
    /// The stored name: `prefix/name` for ustar.
    var name: String
    var linkName: String
    var typeFlag: UInt8
    var mode: Int64
    var uid: Int64
    var gid: Int64
    var size: Int64
    var mtime: Int64
    /// GNU headers may carry one; zero means none.
    var atime: Int64
    var userName: String
    var groupName: String
    var deviceMajor: Int64
    var deviceMinor: Int64

    /// Whether the block is all zeros: tar's end-of-archive marker.
    static func isZero(_ block: UnsafeRawBufferPointer) -> Bool {
        // Eight bytes at a time; a header found in place in a block need not be aligned.
        stride(from: 0, to: block.count, by: 8).allSatisfy { block.loadUnaligned(fromByteOffset: $0, as: UInt64.self) == 0 }
    }

    /// Parses a header block; `block` holds exactly 512 bytes.
    init(_ block: UnsafeRawBufferPointer) throws(TarFormatError) {
        try Self.verifyChecksum(block)
        let magic = Array(block[257 ..< 265])
        if magic == Array("ustar  \0".utf8) {
            format = .gnu
        } else if magic.starts(with: Array("ustar\0".utf8)) {
            format = .ustar
        } else {
            format = .v7
        }
        typeFlag = block[156]
        let ownName = Self.text(block, 0, 100)
        if format == .ustar {
            let prefix = Self.text(block, 345, 155)
            name = prefix.isEmpty ? ownName : prefix + "/" + ownName
        } else {
            name = ownName
        }
        linkName = Self.text(block, 157, 100)
        mode = try Self.number(block, 100, 8, "mode")
        uid = try Self.number(block, 108, 8, "uid")
        gid = try Self.number(block, 116, 8, "gid")
        size = try Self.number(block, 124, 12, "size")
        // Base-256 numbers can be negative; a negative size would be read as a huge one.
        guard size >= 0 else { throw .corrupt("header field size is negative (\(size))") }
        mtime = try Self.number(block, 136, 12, "mtime")
        if format == .v7 {
            userName = ""
            groupName = ""
            deviceMajor = 0
            deviceMinor = 0
        } else {
            userName = Self.text(block, 265, 32)
            groupName = Self.text(block, 297, 32)
            deviceMajor = try Self.number(block, 329, 8, "devmajor")
            deviceMinor = try Self.number(block, 337, 8, "devminor")
        }
        atime = format == .gnu && block[345] != 0 ? try Self.number(block, 345, 12, "atime") : 0
    }

    /// The checksum is the sum of the header's bytes with its own field read as spaces;
    /// some old writers summed signed bytes, so either sum is accepted.
    private static func verifyChecksum(_ block: UnsafeRawBufferPointer) throws(TarFormatError) {
        var unsigned = 0
        var signed = 0
        for index in 0 ..< blockSize {
            let byte = (148 ..< 156).contains(index) ? UInt8(ascii: " ") : block[index]
            unsigned += Int(byte)
            signed += Int(Int8(bitPattern: byte))
        }
        let field = block[148 ..< 156]
        guard let stored = try? octal(field, "checksum") else {
            throw .corrupt("header checksum field \"\(printable(field))\" is not a number (not a tar header)")
        }
        guard stored == Int64(unsigned) || stored == Int64(signed) else {
            throw .corrupt("header checksum mismatch: stored \(stored), computed \(unsigned)")
        }
    }

    /// A NUL-terminated (or field-filling) text field.
    private static func text(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> String {
        let field = block[offset ..< offset + length]
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[..<end], as: UTF8.self)
    }

    private static func number(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int, _ what: String) throws(TarFormatError) -> Int64 {
        let field = block[offset ..< offset + length]
        if let first = field.first, first & 0x80 != 0 {
            return try base256(field, what)
        }
        return try octal(field, what)
    }

    /// An octal field: optional leading spaces, digits, then a space or NUL (or the field's
    /// end). An empty field is zero.
    static func octal(_ field: Slice<UnsafeRawBufferPointer>, _ what: String) throws(TarFormatError) -> Int64 {
        var value: Int64 = 0
        var index = field.startIndex
        while index < field.endIndex && field[index] == UInt8(ascii: " ") { index += 1 }
        while index < field.endIndex {
            let byte = field[index]
            if byte == 0 || byte == UInt8(ascii: " ") { break }
            guard (UInt8(ascii: "0") ... UInt8(ascii: "7")).contains(byte) else {
                throw .corrupt("header field \(what) \"\(printable(field))\" is not an octal number")
            }
            // At most 12 octal digits (36 bits) fit a field: no overflow.
            value = value << 3 | Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        return value
    }

    /// GNU's base-256 numbers for values octal cannot hold: the top bit of the first byte
    /// marks them, the rest is a big-endian two's complement number.
    private static func base256(_ field: Slice<UnsafeRawBufferPointer>, _ what: String) throws(TarFormatError) -> Int64 {
        let negative = field[field.startIndex] & 0x40 != 0
        // Work on the complement of a negative number, so that both fit in 63 bits.
        let flip: UInt8 = negative ? 0xff : 0
        var value: UInt64 = 0
        for (index, raw) in zip(field.indices, field) {
            var byte = raw ^ flip
            if index == field.startIndex { byte &= 0x7f }
            guard value >> 55 == 0 else { throw .corrupt("header field \(what) is a base-256 number too large") }
            value = value << 8 | UInt64(byte)
        }
        guard value >> 63 == 0 else { throw .corrupt("header field \(what) is a base-256 number too large") }
        return negative ? ~Int64(value) : Int64(value)
    }

    /// Field bytes for an error message, unprintable ones escaped.
    static func printable(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            if (0x20 ..< 0x7f).contains(byte) && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return text
    }
}
