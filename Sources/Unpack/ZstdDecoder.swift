import CZstd

/// zstd through libzstd's streaming decoder, which reads frame after frame by itself
/// (skippable frames included). The default window limit (128 MiB) bounds its memory.
final class ZstdDecoder: StreamDecoder {
    private let context: OpaquePointer
    /// The last frame is complete and flushed; only then may the input end.
    private var atFrameEnd = true
    private var frames = 0

    init() throws(DecodeFailure) {
        guard let context = ZSTD_createDStream() else { throw DecodeFailure("zstd: ZSTD_createDStream failed") }
        self.context = context
    }

    deinit { ZSTD_freeDStream(context) }

    func decode(
        _ input: UnsafeRawBufferPointer, atEnd: Bool, into output: UnsafeMutableRawBufferPointer
    ) throws(DecodeFailure) -> DecodeStep {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        // Called even without input: output the last call had no room for may be pending.
        let hint = ZSTD_decompressStream(context, &target, &source)
        if ZSTD_isError(hint) != 0 {
            throw DecodeFailure("zstd: corrupt data in frame \(frames + 1): \(String(cString: ZSTD_getErrorName(hint)))")
        }
        if hint == 0 {
            if !atFrameEnd || target.pos > 0 || source.pos > 0 { frames += 1 }
            atFrameEnd = true
        } else if source.pos > 0 || target.pos > 0 {
            atFrameEnd = false
        }
        let step = DecodeStep(consumed: source.pos, produced: target.pos, finished: false)
        if atEnd && source.pos == input.count && target.pos == 0 {
            guard atFrameEnd else {
                throw DecodeFailure("zstd: the data ends inside frame \(frames + 1) (truncated blob)")
            }
            return DecodeStep(consumed: step.consumed, produced: 0, finished: true)
        }
        return step
    }
}
