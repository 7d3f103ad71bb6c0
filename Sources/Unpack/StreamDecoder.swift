/// What one call to a decoder did.
struct DecodeStep {
    /// Input bytes used up.
    var consumed: Int
    /// Output bytes written.
    var produced: Int
    /// The compressed stream is complete: nothing more will be produced.
    var finished: Bool
}

/// Why decompression failed, in the decoder's words; the stream adds the blob.
struct DecodeFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A decompressor fed in pieces. The caller offers whatever input it holds, and calls again
/// with more input when a step produced nothing and did not finish.
protocol StreamDecoder: AnyObject {
    /// Decodes from `input` into `output`; `atEnd` says no input follows `input`.
    func decode(
        _ input: UnsafeRawBufferPointer, atEnd: Bool, into output: UnsafeMutableRawBufferPointer
    ) throws(DecodeFailure) -> DecodeStep
}
