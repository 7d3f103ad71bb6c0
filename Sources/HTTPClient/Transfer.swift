import BerthBase
import Foundation

/// Runs one blocking HTTP/1.1 transfer on the calling thread: connects (through a proxy
/// when the options name one), sends the request, follows redirects when asked, and returns
/// the final response. A 2xx final body goes to `sink` when one is given; any other body is
/// kept in memory up to the request's `bodyLimit`. Stops within 250 ms of `flag` being set.
public func transfer(
    _ request: TransferRequest, options: TransferOptions, flag: CancellationFlag, sink: TransferSink? = nil
) throws(TransferError) -> TransferResponse {
    if flag.isCancelled { throw .cancelled }
    var url = try parseTarget(request.url)
    try validateHeaderLines(request.headers)
    var method = request.method
    var body = request.body
    var headers = request.headers
    var redirects = 0
    return try withSIGPIPEBlocked { () throws(TransferError) -> TransferResponse in
        while true {
            let (connection, proxy) = try open(url, options: options, flag: flag)
            // A request through a plain-HTTP proxy names the whole URL.
            let target = proxy != nil && url.scheme == .http ? url.description : url.target
            let head = requestHead(
                method: method, target: target, host: url.authority, headers: headers,
                contentLength: body.contentLength(method: method),
                extra: proxy != nil && url.scheme == .http ? proxyAuthorization(proxy) : [])
            var uploadFailure: TransferError?
            do throws(TransferError) {
                try connection.sendRequest(head: head, body: body)
            } catch .connection(let detail) {
                // The server may have answered early (a 401 or 413) and closed: read the answer.
                uploadFailure = .connection(detail)
            }
            let response: ResponseHead
            do throws(TransferError) {
                response = try connection.readResponseHead()
            } catch {
                throw uploadFailure ?? error
            }
            if request.followRedirects, [301, 302, 303, 307, 308].contains(response.status),
               let location = response.values("location").last {
                guard redirects < TransferRequest.maxRedirects else {
                    throw .connection("\(url.hostAndPort): more than \(TransferRequest.maxRedirects) redirects")
                }
                redirects += 1
                let next: HTTPURL
                do throws(URLParseError) {
                    next = try url.resolving(location)
                } catch {
                    throw .connection("\(url.hostAndPort): redirect to \(error)")
                }
                guard next.user == nil else { throw .connection("\(url.hostAndPort): redirect to a URL with credentials") }
                // As curl and browsers do: 303 asks for a GET, and so do 301 and 302 after a POST.
                if (response.status == 303 && method != "HEAD") || ((response.status == 301 || response.status == 302) && method == "POST") {
                    method = "GET"
                    body = .none
                }
                // Credentials for one origin must not reach another, such as the object
                // storage a registry hands blob downloads to (curl does the same).
                if !next.sameOrigin(as: url) {
                    headers.removeAll { $0.split(separator: ":", maxSplits: 1).first?.trimmingSpaces().lowercased() == "authorization" }
                }
                url = next
                continue
            }
            if let uploadFailure, (200..<300).contains(response.status) { throw uploadFailure }
            return try finish(response, on: connection, method: method, bodyLimit: request.bodyLimit, sink: sink)
        }
    }
}

private func parseTarget(_ text: String) throws(TransferError) -> HTTPURL {
    let url: HTTPURL
    do throws(URLParseError) {
        url = try HTTPURL(parsing: text)
    } catch {
        throw .setup("\(error)")
    }
    guard url.user == nil else { throw .setup("\(text): credentials in URLs are not supported") }
    return url
}

/// Reads the final response's body to the sink (2xx) or into memory.
private func finish(
    _ head: ResponseHead, on connection: Connection, method: String, bodyLimit: Int, sink: TransferSink?
) throws(TransferError) -> TransferResponse {
    let framing = try connection.framing(of: head, method: method)
    var body: [UInt8] = []
    if let sink, (200..<300).contains(head.status) {
        try connection.readBody(framing) { (slice) throws(TransferError) in
            do throws(BerthError) {
                try sink(slice)
            } catch {
                throw .sink(error)
            }
        }
    } else {
        if case .length(let length) = framing {
            guard length <= Int64(bodyLimit) else { throw .bodyTooLarge(bodyLimit) }
            body.reserveCapacity(Int(length))
        }
        try connection.readBody(framing) { (slice) throws(TransferError) in
            guard body.count + slice.count <= bodyLimit else { throw .bodyTooLarge(bodyLimit) }
            body.append(contentsOf: slice)
        }
    }
    return TransferResponse(status: head.status, headers: head.headers, body: body)
}

/// A connection ready for the request to `url`: direct, through an HTTP proxy, or tunnelled
/// through one with CONNECT; with TLS for https. Also returns the proxy used.
private func open(_ url: HTTPURL, options: TransferOptions, flag: CancellationFlag) throws(TransferError) -> (Connection, HTTPURL?) {
    let seconds = max(options.connectTimeout, 1)
    let deadline = monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000
    let connection: Connection
    let proxy = try options.proxies.proxy(for: url)
    if let proxy {
        connection = try Dialer.connect(host: proxy.host, port: proxy.port, role: "proxy ", deadline: deadline, seconds: seconds, flag: flag)
        if url.scheme == .https {
            try connection.tunnel(to: url, through: proxy)
        }
        connection.peer = "\(url.hostAndPort) via proxy \(proxy.hostAndPort)"
    } else {
        connection = try Dialer.connect(host: url.host, port: url.port, deadline: deadline, seconds: seconds, flag: flag)
        connection.peer = url.hostAndPort
    }
    if url.scheme == .https {
        let context = try TLSContext.context(verify: options.verifyTLS, extraRoots: options.extraRootCertificates)
        try connection.startTLS(serverName: url.host, context: context)
    }
    connection.startTransfer(lowSpeedBytes: options.lowSpeedBytes, lowSpeedSeconds: options.lowSpeedSeconds)
    return (connection, proxy)
}

/// `Proxy-Authorization` for a proxy URL with credentials.
private func proxyAuthorization(_ proxy: HTTPURL?) -> [String] {
    guard let proxy, let user = proxy.user else { return [] }
    let encoded = Data("\(user):\(proxy.password ?? "")".utf8).base64EncodedString()
    return ["Proxy-Authorization: Basic \(encoded)"]
}

extension Connection {
    /// Asks the proxy for a tunnel to `url`'s host and port (RFC 9110, section 9.3.6).
    fileprivate func tunnel(to url: HTTPURL, through proxy: HTTPURL) throws(TransferError) {
        let step = "CONNECT \(url.hostAndPort) through proxy \(proxy.hostAndPort)"
        connectingStep(step)
        var text = "CONNECT \(url.hostAndPort) HTTP/1.1\r\nHost: \(url.hostAndPort)\r\nUser-Agent: berth/1\r\n"
        for line in proxyAuthorization(proxy) { text += line + "\r\n" }
        try send(Array((text + "\r\n").utf8))
        let head = try readResponseHead()
        guard (200..<300).contains(head.status) else { throw .connection("\(step): HTTP \(head.status)") }
        // The server speaks first in no protocol this tunnel carries.
        guard !hasBufferedBytes else { throw .connection("\(step): data after the proxy's answer") }
    }
}
