#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase

/// A layer blob decompressed on the fly and hashed as it goes, so that extraction and the
/// diffID come out of one pass over the blob.
final class DecompressedStream {
    /// Compressed bytes read per system call: large reads keep a pull's unpack I/O-cheap.
    static let inputSize = 1 << 20
    /// Decompressed bytes per block: big enough to amortize each call, small enough that a
    /// block is still in cache when it is hashed and written.
    static let outputSize = 256 << 10

    private let file: Int32
    private let blobPath: String
    private let hasher = SHA256Hasher()
    private let cancel: CancellationFlag
    private let decoder: (any StreamDecoder)?
    private let input: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    /// The unread part of `input`.
    private var inputStart = 0
    private var inputEnd = 0
    private var inputAtEnd = false
    private var finished = false
    /// Bytes produced so far: the uncompressed size once drained.
    private(set) var size: Int64 = 0

    /// `inputSize` and `outputSize` are for tests that cut the stream in small blocks.
    init(
        blob path: String, cancel: CancellationFlag, inputSize: Int = DecompressedStream.inputSize,
        outputSize: Int = DecompressedStream.outputSize
    ) throws(BerthError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BerthError(.internal, "unpack \(path): open: \(FileSystem.errnoText())")
        }
        file = fd
        blobPath = path
        self.cancel = cancel
        // The magic numbers need the first 16 bytes at once.
        input = .allocate(byteCount: max(inputSize, 16), alignment: 16)
        output = .allocate(byteCount: max(outputSize, 1), alignment: 16)
        do throws(BerthError) {
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
            var end = 0
            var atEnd = false
            try Self.fill(input, from: fd, path: path, end: &end, atEnd: &atEnd)
            if end == 0 { throw BerthError(.invalidArgument, "unpack \(path): layer blob is empty") }
            inputEnd = end
            inputAtEnd = atEnd
            switch LayerCompression(magic: UnsafeRawBufferPointer(rebasing: input[0 ..< end])) {
            case .none:
                decoder = nil
            case .gzip:
                decoder = try Self.decoder(path) { () throws(DecodeFailure) in try GzipDecoder() }
            case .zstd:
                decoder = try Self.decoder(path) { () throws(DecodeFailure) in try ZstdDecoder() }
            case .unsupported(let name):
                throw BerthError(
                    .invalidArgument,
                    "unpack \(path): the layer is \(name)-compressed; only gzip, zstd and uncompressed layers are supported")
            }
        } catch {
            close(fd)
            input.deallocate()
            output.deallocate()
            throw error
        }
    }

    deinit {
        close(file)
        input.deallocate()
        output.deallocate()
    }

    /// The next block of uncompressed bytes (valid until the next call), or an empty
    /// buffer at the end of the stream.
    func next() throws(BerthError) -> UnsafeRawBufferPointer {
        if finished { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if cancel.isCancelled { throw BerthError(.cancelled, "unpack \(blobPath): cancelled") }
        let block: UnsafeRawBufferPointer
        if let decoder {
            block = try decode(with: decoder)
        } else {
            block = try readPlain()
        }
        if block.isEmpty {
            finished = true
        } else {
            hasher.update(block)
            size += Int64(block.count)
        }
        return block
    }

    /// Reads (and hashes) whatever follows the end of the tar, so the diffID covers the
    /// whole stream as the image config does.
    func drain() throws(BerthError) {
        while try !next().isEmpty {}
    }

    /// The sha256 of everything read; call once, after `drain()`.
    func digest() -> Digest { hasher.finalize() }

    /// An uncompressed layer: the read buffer is the block.
    private func readPlain() throws(BerthError) -> UnsafeRawBufferPointer {
        if inputStart == inputEnd {
            if inputAtEnd { return UnsafeRawBufferPointer(start: nil, count: 0) }
            inputStart = 0
            inputEnd = 0
            try Self.fill(input, from: file, path: blobPath, end: &inputEnd, atEnd: &inputAtEnd)
        }
        let block = UnsafeRawBufferPointer(rebasing: input[inputStart ..< inputEnd])
        inputStart = inputEnd
        return block
    }

    private func decode(with decoder: any StreamDecoder) throws(BerthError) -> UnsafeRawBufferPointer {
        while true {
            if inputStart == inputEnd && !inputAtEnd { try refill() }
            let step: DecodeStep
            do {
                step = try decoder.decode(
                    UnsafeRawBufferPointer(rebasing: input[inputStart ..< inputEnd]), atEnd: inputAtEnd, into: output)
            } catch {
                throw BerthError(.dataLoss, "unpack \(blobPath): decompress: \(error.message)")
            }
            inputStart += step.consumed
            if step.produced > 0 { return UnsafeRawBufferPointer(rebasing: output[0 ..< step.produced]) }
            if step.finished { return UnsafeRawBufferPointer(start: nil, count: 0) }
            // Input used without output (a header, a trailer): go on with what is left.
            if step.consumed > 0 { continue }
            guard !inputAtEnd, inputEnd - inputStart < input.count else {
                // A decoder that neither progresses nor finishes on all the input there is.
                throw BerthError(.dataLoss, "unpack \(blobPath): decompress: no progress at the end of the blob")
            }
            try refill()
        }
    }

    /// Keeps the unread tail and reads more after it.
    private func refill() throws(BerthError) {
        let tail = inputEnd - inputStart
        if tail > 0 && inputStart > 0, let base = input.baseAddress {
            memmove(base, base + inputStart, tail)
        }
        inputStart = 0
        inputEnd = tail
        try Self.fill(input, from: file, path: blobPath, end: &inputEnd, atEnd: &inputAtEnd)
    }

    /// Reads until `buffer` is full or the file ends.
    private static func fill(
        _ buffer: UnsafeMutableRawBufferPointer, from fd: Int32, path: String, end: inout Int, atEnd: inout Bool
    ) throws(BerthError) {
        guard let base = buffer.baseAddress else { return }
        while end < buffer.count && !atEnd {
            let count = read(fd, base + end, buffer.count - end)
            if count < 0 {
                if errno == EINTR { continue }
                throw BerthError(.internal, "unpack \(path): read: \(FileSystem.errnoText())")
            }
            if count == 0 { atEnd = true }
            end += count
        }
    }

    private static func decoder(
        _ path: String, _ make: () throws(DecodeFailure) -> any StreamDecoder
    ) throws(BerthError) -> any StreamDecoder {
        do {
            return try make()
        } catch {
            throw BerthError(.internal, "unpack \(path): \(error.message)")
        }
    }
}
