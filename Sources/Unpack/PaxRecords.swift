import Foundation

/// What pax extended headers (POSIX.1-2001, `pax` "Extended Header") say about an entry,
/// overriding its ustar header. Records are `LENGTH KEY=VALUE\n`, LENGTH counting the
/// whole record, so values may hold any byte (xattr values do).
struct PaxRecords {
    /// Bounds that keep a hostile layer from making the reader hold much: the kernel's own
    /// limits for xattrs, and far more than any real entry needs otherwise.
    static let maxHeaderSize = 1 << 20
    static let maxXattrs = 1024
    static let maxXattrNameLength = 255
    static let maxXattrValueSize = 65536

    var path: String?
    var linkPath: String?
    var size: Int64?
    var uid: UInt32?
    var gid: UInt32?
    var userName: String?
    var groupName: String?
    var mtime: LayerEntry.Time?
    var atime: LayerEntry.Time?
    var deviceMajor: UInt32?
    var deviceMinor: UInt32?
    /// In the order first given; a name appears once.
    var xattrs: [LayerEntry.Xattr] = []

    /// Parses the body of an extended header and lays its records over these.
    mutating func merge(_ body: UnsafeRawBufferPointer) throws(TarFormatError) {
        // Names given as LIBARCHIVE.xattr in this header: libarchive writes each xattr
        // twice, and its encoded form survives names SCHILY's cannot carry (with "=").
        var encodedNames: Set<String> = []
        var offset = 0
        while offset < body.count {
            // Some writers pad the body with NULs.
            if body[offset...].allSatisfy({ $0 == 0 }) { break }
            let (key, value, length) = try Self.record(body, at: offset)
            offset += length
            try apply(key: key, value: value, encodedNames: &encodedNames)
        }
    }

    /// The record at `offset`: its key, its value's bytes, and its whole length.
    private static func record(
        _ body: UnsafeRawBufferPointer, at offset: Int
    ) throws(TarFormatError) -> (String, Slice<UnsafeRawBufferPointer>, Int) {
        var index = offset
        var length = 0
        while index < body.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(body[index]) {
            length = length * 10 + Int(body[index] - UInt8(ascii: "0"))
            guard length <= body.count else { throw .corrupt("pax record at byte \(offset) is longer than its header") }
            index += 1
        }
        guard index > offset, index < body.count, body[index] == UInt8(ascii: " ") else {
            throw .corrupt("pax record at byte \(offset) does not start with its length")
        }
        let end = offset + length
        guard end <= body.count, end > index + 1, body[end - 1] == UInt8(ascii: "\n") else {
            throw .corrupt("pax record at byte \(offset) has a length (\(length)) that does not end it at a newline")
        }
        let record = body[(index + 1) ..< (end - 1)]
        guard let equals = record.firstIndex(of: UInt8(ascii: "=")), equals > record.startIndex else {
            throw .corrupt("pax record at byte \(offset) has no KEY=VALUE")
        }
        let key = String(decoding: record[..<equals], as: UTF8.self)
        return (key, record[(equals + 1)...], length)
    }

    private mutating func apply(
        key: String, value: Slice<UnsafeRawBufferPointer>, encodedNames: inout Set<String>
    ) throws(TarFormatError) {
        // An empty value cancels the key (and lets the ustar field count again), except
        // for xattrs, whose empty values are values.
        let text = String(decoding: value, as: UTF8.self)
        switch key {
        case "path":
            path = value.isEmpty ? nil : try Self.name(value, key)
        case "linkpath":
            linkPath = value.isEmpty ? nil : try Self.name(value, key)
        case "size":
            size = value.isEmpty ? nil : try Self.decimal(text, key, max: Int64.max)
        case "uid":
            uid = value.isEmpty ? nil : UInt32(try Self.decimal(text, key, max: Int64(UInt32.max)))
        case "gid":
            gid = value.isEmpty ? nil : UInt32(try Self.decimal(text, key, max: Int64(UInt32.max)))
        case "uname":
            userName = value.isEmpty ? nil : text
        case "gname":
            groupName = value.isEmpty ? nil : text
        case "mtime":
            mtime = value.isEmpty ? nil : try Self.time(text, key)
        case "atime":
            atime = value.isEmpty ? nil : try Self.time(text, key)
        case "SCHILY.devmajor":
            deviceMajor = value.isEmpty ? nil : UInt32(try Self.decimal(text, key, max: Int64(UInt32.max)))
        case "SCHILY.devminor":
            deviceMinor = value.isEmpty ? nil : UInt32(try Self.decimal(text, key, max: Int64(UInt32.max)))
        case _ where key.hasPrefix("GNU.sparse."):
            throw .unsupported("GNU sparse files are not supported (pax record \(key))")
        case _ where key.hasPrefix("SCHILY.xattr."):
            let name = String(key.dropFirst("SCHILY.xattr.".count))
            if !encodedNames.contains(name) { try setXattr(name, Array(value)) }
        case _ where key.hasPrefix("LIBARCHIVE.xattr."):
            guard let name = Self.urlDecoded(key.dropFirst("LIBARCHIVE.xattr.".count)),
                  let decoded = Self.base64Decoded(value)
            else { throw .corrupt("pax record \(key) is not URL- and base64-encoded") }
            encodedNames.insert(name)
            try setXattr(name, decoded)
        default:
            // ctime, comment, charset, hdrcharset, SCHILY.fflags, ACLs and other vendors'
            // keys change nothing that a container's root file system holds.
            break
        }
    }

    private mutating func setXattr(_ name: String, _ value: [UInt8]) throws(TarFormatError) {
        guard !name.isEmpty, name.utf8.count <= Self.maxXattrNameLength, !name.utf8.contains(0) else {
            throw .corrupt("xattr name \"\(TarHeader.printable(name.utf8))\" is empty, too long or holds a NUL")
        }
        guard value.count <= Self.maxXattrValueSize else {
            throw .unsupported("xattr \(name) has \(value.count) bytes, more than the \(Self.maxXattrValueSize) allowed")
        }
        if let index = xattrs.firstIndex(where: { $0.name == name }) {
            xattrs[index].value = value
            return
        }
        guard xattrs.count < Self.maxXattrs else {
            throw .unsupported("more than \(Self.maxXattrs) xattrs")
        }
        xattrs.append(LayerEntry.Xattr(name: name, value: value))
    }

    /// A path or link target: a NUL would cut it short for the kernel, so it is refused.
    private static func name(_ value: Slice<UnsafeRawBufferPointer>, _ key: String) throws(TarFormatError) -> String {
        guard !value.contains(0) else { throw .corrupt("pax record \(key) holds a NUL byte") }
        return String(decoding: value, as: UTF8.self)
    }

    private static func decimal(_ text: String, _ key: String, max: Int64) throws(TarFormatError) -> Int64 {
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) }),
              let value = Int64(text), value <= max
        else { throw .corrupt("pax record \(key)=\(TarHeader.printable(text.utf8)) is not a number up to \(max)") }
        return value
    }

    /// `SECONDS[.FRACTION]`, seconds possibly negative; digits past nanoseconds are dropped.
    static func time(_ text: String, _ key: String) throws(TarFormatError) -> LayerEntry.Time {
        let invalid = TarFormatError.corrupt("pax record \(key)=\(TarHeader.printable(text.utf8)) is not a time")
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits: (Substring) -> Bool = { $0.utf8.allSatisfy { (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) } }
        guard let whole = parts.first, !whole.isEmpty, isDigits(whole), let seconds = Int64(whole) else { throw invalid }
        var nanoseconds = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard isDigits(fraction) else { throw invalid }
            let kept = fraction.prefix(9)
            nanoseconds = (Int(kept) ?? 0) * Self.scale[kept.count]
        }
        guard negative else { return LayerEntry.Time(seconds: seconds, nanoseconds: nanoseconds) }
        // -1.25 is 0.75 seconds after -2.
        if nanoseconds == 0 { return LayerEntry.Time(seconds: -seconds, nanoseconds: 0) }
        return LayerEntry.Time(seconds: -seconds - 1, nanoseconds: 1_000_000_000 - nanoseconds)
    }

    private static let scale = [1_000_000_000, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1000, 100, 10, 1]

    /// `%XX` escapes, as libarchive writes xattr names.
    static func urlDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Standard base64 (RFC 4648), padding optional: libarchive writes none.
    static func base64Decoded(_ text: some Collection<UInt8>) -> [UInt8]? {
        // libarchive writes base64 without the `=` padding Foundation's decoder wants.
        var padded = Array(text)
        padded += Array(repeating: UInt8(ascii: "="), count: (4 - padded.count % 4) % 4)
        return Data(base64Encoded: Data(padded)).map(Array.init)
    }
}
