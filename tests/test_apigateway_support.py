"""Helpers shared by the API Gateway tests: calling invoke URLs over plain HTTP, a local HTTP
backend that echoes what it receives, and a JWKS issuer."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def invoke(server, api_id: str, path: str, method: str = "GET", body: bytes | None = None,
           headers: dict | None = None, host_form: bool = False):
    """(status, headers, body) of a request to an API's invoke URL; path starts with the stage."""
    if host_form:
        url = f"{server.endpoint}{path}"
        headers = {"Host": f"{api_id}.execute-api.us-east-1.amazonaws.com", **(headers or {})}
    else:
        url = f"{server.endpoint}/_aws/execute-api/{api_id}{path}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class _Echo(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2].split("?")[0])
        else:
            status = 200
        out = json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers),
                          "body": body.decode("utf-8", "replace")}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "echo")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args):
        pass


class LocalHTTP:
    """A ThreadingHTTPServer on a free port serving `handler`; stopped with stop()."""

    def __init__(self, handler=_Echo):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def echo_backend():
    """An echo backend for HTTP and HTTP_PROXY integrations (import it into a test module)."""
    http = LocalHTTP()
    yield http
    http.stop()
