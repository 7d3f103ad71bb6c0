import CZlib

/// gzip through zlib's `inflate`, member after member: pigz and other tools write layers as
/// several gzip members one after another, which together are one stream (RFC 1952, 2.2).
final class GzipDecoder: StreamDecoder {
    /// zlib keeps a pointer back to its `z_stream` and refuses one that moved, so it lives
    /// on the heap rather than in a Swift property.
    private let stream: UnsafeMutablePointer<z_stream>
    /// A member ended; whatever follows is either another member or the end.
    private var betweenMembers = false
    private var members = 0

    init() throws(DecodeFailure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = berth_inflate_init_gzip(stream)
        guard status == Z_OK else {
            stream.deallocate()
            throw DecodeFailure("gzip: inflateInit2 failed (\(status))")
        }
        skipChecks()
    }

    /// Skips the CRC-32 and length of each member: they cost a tenth of the decompression
    /// time, and the blob's sha256 (checked as it is fetched) and the diffID (the sha256
    /// of what we produce, checked against the image config) already vouch for every byte.
    private func skipChecks() {
        _ = inflateValidate(stream, 0)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func decode(
        _ input: UnsafeRawBufferPointer, atEnd: Bool, into output: UnsafeMutableRawBufferPointer
    ) throws(DecodeFailure) -> DecodeStep {
        if betweenMembers {
            // Two bytes decide whether another member starts.
            if input.count < 2 && !atEnd { return DecodeStep(consumed: 0, produced: 0, finished: false) }
            guard input.count >= 2, input[0] == 0x1f, input[1] == 0x8b else {
                // As gzip(1) does, bytes after the last member (often zeros) are ignored;
                // the blob's digest already covers them.
                return DecodeStep(consumed: input.count, produced: 0, finished: true)
            }
            guard inflateReset(stream) == Z_OK else { throw DecodeFailure("gzip: inflateReset failed") }
            skipChecks()
            betweenMembers = false
        }
        guard let outputBase = output.baseAddress else { return DecodeStep(consumed: 0, produced: 0, finished: false) }
        // Called even without input: output the last call had no room for may be pending.
        // zlib's counters are 32-bit; our buffers are far smaller.
        stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.avail_in = uInt(min(input.count, Int(UInt32.max)))
        stream.pointee.next_out = outputBase.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(min(output.count, Int(UInt32.max)))
        let offered = Int(stream.pointee.avail_in)
        let room = Int(stream.pointee.avail_out)
        let status = inflate(stream, Z_NO_FLUSH)
        let step = DecodeStep(
            consumed: offered - Int(stream.pointee.avail_in), produced: room - Int(stream.pointee.avail_out), finished: false)
        switch status {
        case Z_STREAM_END:
            betweenMembers = true
            members += 1
            return step
        case Z_OK:
            return step
        case Z_BUF_ERROR:
            // No progress was possible: inflate wants input that is not there.
            if atEnd && step.produced == 0 { throw endedEarly }
            return step
        default:
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
            throw DecodeFailure("gzip: corrupt data in member \(members + 1): \(detail)")
        }
    }

    private var endedEarly: DecodeFailure {
        DecodeFailure("gzip: the data ends inside member \(members + 1) (truncated blob)")
    }
}
