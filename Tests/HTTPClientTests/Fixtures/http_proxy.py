#!/usr/bin/env python3
"""A forward HTTP proxy for the HTTP client's tests.

    http_proxy.py

Prints its port on stdout, then serves on 127.0.0.1 until its stdin closes. Every target
host name is taken to mean 127.0.0.1 (only the port is kept), so tests can use names that
only the proxy "resolves", proving the client did not connect by itself.
- CONNECT host:port             a tunnel to 127.0.0.1:port
- GET http://host:port/path     forwarded in origin form, the answer relayed until close
- GET /stats                    JSON: {"requests": ["CONNECT host:port", "GET http://..."],
                                       "proxy_authorization": [values seen]}
"""

import json
import os
import socket
import socketserver
import sys
import threading
import urllib.parse

lock = threading.Lock()
stats = {"requests": [], "proxy_authorization": []}


def pipe(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Handler(socketserver.StreamRequestHandler):
    # Unbuffered, so nothing the client sent after the head is stuck in a buffer.
    rbufsize = 0

    def handle(self):
        request_line = self.rfile.readline().decode("latin-1").rstrip("\r\n")
        headers = []
        while True:
            line = self.rfile.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            headers.append(line.decode("latin-1").rstrip("\r\n"))
        method, target, _ = request_line.split(" ", 2)
        if target == "/stats":
            with lock:
                body = json.dumps(stats).encode()
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            return
        with lock:
            stats["requests"].append(f"{method} {target}")
            for header in headers:
                name, _, value = header.partition(":")
                if name.strip().lower() == "proxy-authorization":
                    stats["proxy_authorization"].append(value.strip())
        if method == "CONNECT":
            port = int(target.rsplit(":", 1)[1])
            upstream = socket.create_connection(("127.0.0.1", port))
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
        else:
            url = urllib.parse.urlsplit(target)
            upstream = socket.create_connection(("127.0.0.1", url.port or 80))
            path = url.path + ("?" + url.query if url.query else "")
            kept = [h for h in headers if not h.lower().startswith("proxy-authorization:")]
            # A request body, if any, follows in the stream the pipe below relays.
            upstream.sendall((f"{method} {path} HTTP/1.1\r\n" + "".join(h + "\r\n" for h in kept) + "\r\n").encode("latin-1"))
        back = threading.Thread(target=pipe, args=(upstream, self.connection), daemon=True)
        back.start()
        pipe(self.connection, upstream)
        back.join()
        upstream.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)

    def watch_stdin():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
