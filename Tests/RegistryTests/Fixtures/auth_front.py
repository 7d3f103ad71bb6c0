#!/usr/bin/env python3
"""A bearer-token front for a docker-registry without auth, for the registry client's tests.

    auth_front.py --listen PORT --upstream 127.0.0.1:REGPORT --user U --password P

- GET /token?service=..&scope=..: with the right HTTP Basic credentials, a fresh token.
- /v2/...: 401 with a bearer challenge unless `Authorization: Bearer <issued token>`;
  blob GETs are then redirected (307) to /storage/... on the host name `localhost`, a
  different host than 127.0.0.1, as registries hand blobs to object storage; the rest is
  proxied to the upstream registry.
- /storage/v2/...: proxied without any check, like presigned storage URLs; counts requests
  that still carried an Authorization header (a client that leaks credentials).
- GET /stats: {"tokens_issued", "redirects", "storage_requests", "storage_with_authorization"}.

The process exits when its stdin closes, so a crashed test leaves nothing running.
"""

import argparse
import base64
import http.server
import json
import os
import re
import secrets
import sys
import threading
import urllib.error
import urllib.request

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "authorization"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Front:
    def __init__(self, port, upstream, user, password):
        self.port = port
        self.upstream = upstream
        self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.lock = threading.Lock()
        self.tokens = set()
        self.stats = {"tokens_issued": 0, "redirects": 0, "storage_requests": 0, "storage_with_authorization": 0}
        self.opener = urllib.request.build_opener(NoRedirect)

    def count(self, key):
        with self.lock:
            self.stats[key] += 1

    def issue(self):
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens.add(token)
            self.stats["tokens_issued"] += 1
        return token

    def valid(self, authorization):
        if not authorization or not authorization.startswith("Bearer "):
            return False
        with self.lock:
            return authorization[len("Bearer "):] in self.tokens


def make_handler(front):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            sys.stderr.write("auth_front: %s %s\n" % (self.command, format % args))

        def reply(self, status, body=b"", headers=(), length=None):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def reply_json(self, status, value, headers=()):
            self.reply(status, json.dumps(value).encode(), [("Content-Type", "application/json"), *headers])

        def handle_any(self):
            path = self.path.split("?", 1)[0]
            if path == "/stats":
                with front.lock:
                    return self.reply_json(200, dict(front.stats))
            if path == "/token":
                return self.token()
            if path.startswith("/storage/v2/"):
                front.count("storage_requests")
                if self.headers.get("Authorization"):
                    front.count("storage_with_authorization")
                    sys.stderr.write("auth_front: storage request carried Authorization\n")
                return self.proxy(self.path[len("/storage"):])
            if path.startswith("/v2/"):
                return self.registry(path)
            self.reply_json(404, {"errors": [{"code": "NOT_FOUND", "message": "no such path"}]})

        def token(self):
            if self.headers.get("Authorization") != front.basic:
                return self.reply_json(401, {"details": "bad credentials"})
            self.reply_json(200, {"token": front.issue(), "expires_in": 300})

        def registry(self, path):
            if not front.valid(self.headers.get("Authorization")):
                match = re.match(r"^/v2/(.+?)/(manifests|blobs|tags)/", path)
                scope = f',scope="repository:{match.group(1)}:pull"' if match else ""
                challenge = f'Bearer realm="http://127.0.0.1:{front.port}/token",service="berth-test"{scope}'
                return self.reply_json(
                    401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                    [("WWW-Authenticate", challenge)])
            if self.command == "GET" and re.match(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$", path):
                front.count("redirects")
                return self.reply(307, headers=[("Location", f"http://localhost:{front.port}/storage{path}")])
            self.proxy(self.path)

        def proxy(self, path):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            request = urllib.request.Request(
                f"http://{front.upstream}{path}", data=body, headers=headers, method=self.command)
            try:
                response = front.opener.open(request, timeout=30)
            except urllib.error.HTTPError as error:
                response = error
            except urllib.error.URLError as error:
                return self.reply_json(502, {"details": f"upstream {front.upstream}: {error.reason}"})
            with response:
                data = response.read()
                relayed = [(k, v) for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP]
                # A HEAD reply states the length a GET would have.
                length = response.headers.get("Content-Length") if self.command == "HEAD" else None
                self.reply(response.status, data, relayed, length)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()

    front = Front(args.listen, args.upstream, args.user, args.password)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.listen), make_handler(front))
    server.daemon_threads = True

    def watch_stdin():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
