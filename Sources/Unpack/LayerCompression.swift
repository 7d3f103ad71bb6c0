/// How a layer blob is compressed, told by its first bytes rather than its media type:
/// registries and image tools are known to mislabel layers.
enum LayerCompression: Equatable {
    case none
    case gzip
    case zstd
    /// Recognized but not unpacked: containerd reads only gzip, zstd and uncompressed
    /// layers, so no image that runs elsewhere needs these, and refusing them keeps
    /// liblzma and libbz2 out of the daemon.
    case unsupported(String)

    init(magic bytes: UnsafeRawBufferPointer) {
        func starts(with magic: [UInt8]) -> Bool {
            bytes.count >= magic.count && zip(bytes, magic).allSatisfy { $0 == $1 }
        }
        if starts(with: [0x1f, 0x8b]) {
            self = .gzip
        } else if starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            self = .zstd
        } else if starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
            self = .unsupported("xz")
        } else if starts(with: [0x42, 0x5a, 0x68]) && bytes.count >= 10 && (0x31 ... 0x39).contains(bytes[3])
            && (Array(bytes[4 ..< 10]) == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] || Array(bytes[4 ..< 10]) == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]) {
            // "BZh", the block size digit, then a block's or the end's magic: a tar whose
            // first name starts with "BZh" stays a tar.
            self = .unsupported("bzip2")
        } else {
            self = .none
        }
    }
}
