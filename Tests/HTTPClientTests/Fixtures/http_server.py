#!/usr/bin/env python3
"""An HTTP/1.1 origin server with awkward corners, for the HTTP client's tests.

    http_server.py [--tls CERT KEY]

Prints its port on stdout, then serves on 127.0.0.1 until its stdin closes.

Bodies are `pattern(n)`: byte i is i % 251.
- /bytes/N            N bytes with Content-Length (HEAD: the length, no body)
- /chunked/N          N bytes chunked (an extension on the first chunk, a trailer at the end)
- /close/N            N bytes delimited by closing the connection
- /hops/K             302 to the relative /hops/K-1; /hops/0 answers "done"
- /redirect?status=S&to=URL   S with Location URL
- /echo               JSON: method, target, headers (names lowercased), body length and sha256
- /stall/N            promises 10 MB, sends N bytes, then nothing until the client leaves
- /endless            sends bytes as fast as it can, forever
- /trickle            promises 1000 bytes, sends one every 0.3 s
- /interim            100 Continue and 103 Early Hints before a 200
- /status/S           S with a short body; 204 and 304 without one (304 states a length)
- /bigheader          one 100 KB header line
- /manyheaders        1000 header lines
- /badchunk           a chunk size that is no hex number
- /badlength          two different Content-Length values
- /short              promises 100 bytes, sends 10 and closes
"""

import argparse
import hashlib
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse


def pattern(n):
    block = bytes(i % 251 for i in range(251))
    return (block * (n // 251 + 1))[:n]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def raw(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def simple(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def wait_for_close(self):
        self.connection.settimeout(None)
        try:
            while self.connection.recv(65536):
                pass
        except OSError:
            pass

    def handle_any(self):
        self.close_connection = True
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        query = dict(urllib.parse.parse_qsl(url.query))
        head = parts[0]
        arg = parts[1] if len(parts) > 1 else "0"

        if head == "bytes":
            return self.simple(200, pattern(int(arg)), [("Content-Type", "application/octet-stream")])
        if head == "chunked":
            n = int(arg)
            body = pattern(n)
            self.raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            first = True
            for start in range(0, n, 7000):
                chunk = body[start:start + 7000]
                extension = b";name=value" if first else b""
                first = False
                self.raw(b"%x%s\r\n%s\r\n" % (len(chunk), extension, chunk))
            return self.raw(b"0\r\nX-Trailer: yes\r\n\r\n")
        if head == "close":
            self.raw(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + pattern(int(arg)))
            return
        if head == "hops":
            k = int(arg)
            if k > 0:
                return self.simple(302, b"moved", [("Location", f"/hops/{k - 1}")])
            return self.simple(200, b"done")
        if head == "redirect":
            return self.simple(int(query.get("status", "302")), b"", [("Location", query["to"])])
        if head == "echo":
            body = self.read_body()
            reply = {
                "method": self.command,
                "target": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_length": len(body),
                "body_sha256": hashlib.sha256(body).hexdigest(),
            }
            return self.simple(200, json.dumps(reply).encode(), [("Content-Type", "application/json")])
        if head == "stall":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + pattern(int(arg)))
            return self.wait_for_close()
        if head == "endless":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n")
            block = pattern(65536)
            try:
                while True:
                    self.wfile.write(block)
            except OSError:
                return
        if head == "trickle":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            try:
                for _ in range(1000):
                    self.raw(b"x")
                    time.sleep(0.3)
            except OSError:
                pass
            return
        if head == "interim":
            self.raw(b"HTTP/1.1 100 Continue\r\n\r\n"
                     b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                     b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok")
            return
        if head == "status":
            status = int(arg)
            if status in (204, 304):
                extra = b"Content-Length: 100\r\n" if status == 304 else b""
                self.raw(b"HTTP/1.1 %d No Body\r\n%s\r\n" % (status, extra))
                return self.wait_for_close()
            return self.simple(status, b"status %d" % status + b"." * int(query.get("pad", "0")))
        if head == "bigheader":
            self.raw(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100000 + b"\r\nContent-Length: 0\r\n\r\n")
            return
        if head == "manyheaders":
            self.raw(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(1000)) + b"Content-Length: 0\r\n\r\n")
            return
        if head == "badchunk":
            self.raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
            return
        if head == "short":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + pattern(10))
            return
        if head == "badlength":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
            return
        self.simple(404, b"no such path")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_CONNECT = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)
        # The handshake runs in the handler's thread, so a failing client blocks nobody.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    def watch_stdin():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
