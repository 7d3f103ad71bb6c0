import BerthBase

/// A tar stream that is corrupt (`dataLoss`) or uses what we do not unpack
/// (`invalidArgument`); the reader adds where in the layer it happened.
struct TarFormatError: Error {
    let code: ErrorCode
    let message: String

    static func corrupt(_ message: String) -> TarFormatError { TarFormatError(code: .dataLoss, message: message) }
    static func unsupported(_ message: String) -> TarFormatError { TarFormatError(code: .invalidArgument, message: message) }
}
