#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CCurl
import Foundation

/// One HTTP request as the registry client sends it.
struct HTTPRequest {
    var method = "GET"
    var url: String
    /// Header lines, `Name: value`.
    var headers: [String] = []
    var body: RequestBody = .none
    /// Follow redirects, as blob downloads must (registries hand them to storage backends).
    var followRedirects = false
    /// The most a response body kept in memory may hold; larger ones fail the transfer.
    var bodyLimit = 4 << 20
}

/// What a request uploads.
enum RequestBody {
    case none
    case bytes([UInt8])
    case file(path: String, size: Int64)
}

/// A response whose body was kept in memory (or streamed to a sink, when successful).
struct HTTPResponse {
    var status: Int
    /// Header names lowercased, in the order received, of the final response only.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The last value of a header.
    func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.last { $0.name == name }?.value
    }

    /// Every value of a header.
    func headers(_ name: String) -> [String] {
        let name = name.lowercased()
        return headers.filter { $0.name == name }.map(\.value)
    }
}

/// Limits that keep a dead or stalled registry from hanging a pull.
public struct RegistryTimeouts: Sendable, Hashable {
    /// Seconds to wait for a TCP (and TLS) connection.
    public var connect: Int
    /// A transfer slower than `lowSpeedBytes` per second for `lowSpeedSeconds` is abandoned.
    public var lowSpeedBytes: Int
    public var lowSpeedSeconds: Int

    public init(connect: Int = 10, lowSpeedBytes: Int = 1, lowSpeedSeconds: Int = 30) {
        self.connect = connect
        self.lowSpeedBytes = lowSpeedBytes
        self.lowSpeedSeconds = lowSpeedSeconds
    }
}

/// Why a transfer produced no response.
enum TransferFailure: Error {
    /// Connecting, TLS, or the transfer itself failed; the text is curl's.
    case connection(String)
    case cancelled
    /// The sink refused the data (a size or write error).
    case sink(BerthError)
    case bodyTooLarge(Int)
    case setup(String)
}

/// Receives the body of a successful (2xx) response as it arrives.
typealias BodySink = (UnsafeRawBufferPointer) throws(BerthError) -> Void

private let curlReady: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

/// Runs one blocking libcurl transfer on the calling thread, aborting when `flag` is set.
func performTransfer(
    _ request: HTTPRequest, verifyTLS: Bool, timeouts: RegistryTimeouts, flag: CancellationFlag, sink: BodySink? = nil
) throws(TransferFailure) -> HTTPResponse {
    guard curlReady, let handle = curl_easy_init() else { throw .setup("libcurl initialisation failed") }
    defer { curl_easy_cleanup(handle) }
    let state = TransferState(handle: handle, flag: flag, sink: sink, bodyLimit: request.bodyLimit)
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    defer { errorBuffer.deallocate() }

    var headerList: UnsafeMutablePointer<curl_slist>?
    // curl would otherwise wait for `100 Continue` before large uploads.
    for line in request.headers + ["Expect:"] { headerList = curl_slist_append(headerList, line) }
    defer { curl_slist_free_all(headerList) }

    let opaque = Unmanaged.passUnretained(state).toOpaque()
    var setup = CURLE_OK
    func set(_ code: CURLcode) { if setup == CURLE_OK { setup = code } }
    request.url.withCString { set(berth_curl_setopt_ptr(handle, CURLOPT_URL, $0)) }
    "http,https".withCString { set(berth_curl_setopt_ptr(handle, CURLOPT_PROTOCOLS_STR, $0)) }
    "berth/1".withCString { set(berth_curl_setopt_ptr(handle, CURLOPT_USERAGENT, $0)) }
    set(berth_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList))
    set(berth_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
    set(berth_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
    set(berth_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, timeouts.connect))
    set(berth_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedBytes))
    set(berth_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, timeouts.lowSpeedSeconds))
    set(berth_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, verifyTLS ? 1 : 0))
    set(berth_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, verifyTLS ? 2 : 0))
    if request.followRedirects {
        set(berth_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1))
        set(berth_curl_setopt_long(handle, CURLOPT_MAXREDIRS, 5))
        // A redirect to another host (object storage) must not receive the registry's
        // credentials; this is curl's default, stated here because it matters.
        set(berth_curl_setopt_long(handle, CURLOPT_UNRESTRICTED_AUTH, 0))
        "http,https".withCString { set(berth_curl_setopt_ptr(handle, CURLOPT_REDIR_PROTOCOLS_STR, $0)) }
    }
    set(berth_curl_setopt_header(handle, { data, size, count, userdata in
        guard let data, let userdata else { return 0 }
        let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
        state.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
        return size * count
    }, opaque))
    set(berth_curl_setopt_write(handle, { data, size, count, userdata in
        guard let userdata else { return 0 }
        let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
        return state.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
    }, opaque))
    set(berth_curl_setopt_progress(handle, { userdata, _, _, _, _ in
        guard let userdata else { return 0 }
        let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
        return state.flag.isCancelled ? 1 : 0
    }, opaque))

    switch request.method {
    case "GET":
        break
    case "HEAD":
        set(berth_curl_setopt_long(handle, CURLOPT_NOBODY, 1))
    default:
        request.method.withCString { set(berth_curl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, $0)) }
    }
    switch request.body {
    case .none:
        if request.method == "POST" || request.method == "PUT" {
            set(berth_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
            set(berth_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, 0))
            state.upload = .bytes([], offset: 0)
        }
    case .bytes(let bytes):
        set(berth_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        set(berth_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count)))
        state.upload = .bytes(bytes, offset: 0)
    case .file(let path, let size):
        guard let file = fopen(path, "rb") else { throw .setup("open \(path): \(FileSystem.errnoText())") }
        set(berth_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        set(berth_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(size)))
        state.upload = .file(file)
    }
    if state.upload != nil {
        set(berth_curl_setopt_read(handle, { buffer, size, count, userdata in
            guard let buffer, let userdata else { return Int(CURL_READFUNC_ABORT) }
            let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
            return state.readUpload(into: buffer, capacity: size * count)
        }, opaque))
    }
    guard setup == CURLE_OK else { throw .setup("curl option: \(String(cString: curl_easy_strerror(setup)))") }

    let result = withExtendedLifetime(state) { curl_easy_perform(handle) }
    state.closeUpload()
    switch result {
    case CURLE_OK:
        var status = 0
        _ = berth_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: state.headers, body: state.body)
    case CURLE_ABORTED_BY_CALLBACK:
        throw .cancelled
    default:
        if let failure = state.failure { throw failure }
        if flag.isCancelled { throw .cancelled }
        let detail = String(cString: errorBuffer)
        throw .connection(detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail)
    }
}

/// What the callbacks of one transfer share; touched only by the thread running it.
private final class TransferState {
    enum Upload {
        case bytes([UInt8], offset: Int)
        case file(UnsafeMutablePointer<FILE>)
    }

    let handle: UnsafeMutableRawPointer
    let flag: CancellationFlag
    let sink: BodySink?
    let bodyLimit: Int
    var upload: Upload?
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var failure: TransferFailure?

    init(handle: UnsafeMutableRawPointer, flag: CancellationFlag, sink: BodySink?, bodyLimit: Int) {
        self.handle = handle
        self.flag = flag
        self.sink = sink
        self.bodyLimit = bodyLimit
    }

    func receiveHeader(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("HTTP/") {
            // A new response (after a redirect or `100 Continue`): forget the previous one.
            headers = []
            body = []
        } else if let colon = text.firstIndex(of: ":") {
            let name = text[..<colon].lowercased()
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
    }

    func receiveBody(_ data: UnsafeRawBufferPointer) -> Bool {
        var status = 0
        _ = berth_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if let sink, (200..<300).contains(status) {
            do {
                try sink(data)
                return true
            } catch {
                failure = .sink(error)
                return false
            }
        }
        guard body.count + data.count <= bodyLimit else {
            failure = .bodyTooLarge(bodyLimit)
            return false
        }
        body.append(contentsOf: data)
        return true
    }

    func readUpload(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        if flag.isCancelled { return Int(CURL_READFUNC_ABORT) }
        switch upload {
        case .bytes(let bytes, let offset):
            let count = min(capacity, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                guard let base = source.baseAddress, count > 0 else { return }
                UnsafeMutableRawPointer(buffer).copyMemory(from: base + offset, byteCount: count)
            }
            upload = .bytes(bytes, offset: offset + count)
            return count
        case .file(let file):
            let count = fread(buffer, 1, capacity, file)
            return count == 0 && ferror(file) != 0 ? Int(CURL_READFUNC_ABORT) : count
        case nil:
            return 0
        }
    }

    func closeUpload() {
        if case .file(let file) = upload { fclose(file) }
        upload = nil
    }
}
