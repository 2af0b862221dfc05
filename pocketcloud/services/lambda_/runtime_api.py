"""The Lambda Runtime API (2018-06-01) as each execution environment sees it.

Every execution environment gets its own listening socket on 127.0.0.1 (port chosen by the OS)
and finds it in AWS_LAMBDA_RUNTIME_API, exactly as on AWS, so any runtime interface client —
ours, AWS's `awslambdaric`, a custom runtime's `bootstrap` using curl — works unchanged. One port
per environment means the server knows which environment is calling without any token.

The HTTP here is deliberately minimal (asyncio.Protocol, keep-alive, Content-Length or chunked
bodies): this sits on the warm invoke path, and a runtime client keeps one connection open.
"""

from __future__ import annotations

import asyncio
import json

PREFIX = "/2018-06-01/runtime/"
MAX_HEAD = 64 * 1024
# A response larger than Lambda's 6 MB limit is still read (and then refused as AWS refuses
# it); past this the connection is dropped.
MAX_BODY = 16 * 1024 * 1024

_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            413: "Payload Too Large", 500: "Internal Server Error"}


class RuntimeApiConnection(asyncio.Protocol):
    """One runtime client connection; requests go to the environment's `api_request`."""

    def __init__(self, env):
        self.env = env
        self.buffer = bytearray()
        self.transport = None
        self.closing = False

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.transport = None
        self.env.api_connection_lost(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            request = self._take_request()
            if request is None:
                return
            method, target, headers, body = request
            self.closing = headers.get("connection", "").lower() == "close"
            self.env.api_request(self, method, target, headers, body)

    def _take_request(self):
        buf = self.buffer
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                self.transport.close()
            return None
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        try:
            method, target, _ = lines[0].split(" ", 2)
        except ValueError:
            self.transport.close()
            return None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parsed = _dechunk(buf, start)
            if parsed is None:
                if len(buf) > MAX_BODY:
                    self.transport.close()
                return None
            body, consumed = parsed
        else:
            try:
                length = int(headers.get("content-length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self.transport.close()
                return None
            if len(buf) < start + length:
                return None
            body = bytes(buf[start:start + length])
            consumed = start + length
        del buf[:consumed]
        return method, target, headers, body

    def respond(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        if self.transport is None:
            return
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}", f"Content-Length: {len(body)}"]
        if headers:
            head.extend(f"{k}: {v}" for k, v in headers.items())
        if "Content-Type" not in (headers or ()):
            head.append("Content-Type: application/json")
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        if self.closing:
            self.transport.close()

    def respond_json(self, status: int, payload: dict) -> None:
        self.respond(status, json.dumps(payload).encode())


def _dechunk(buf: bytearray, pos: int):
    parts = []
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        try:
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
        except ValueError:
            size = 0
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n", pos)
            if trailer_end < 0:
                return None
            return b"".join(parts), trailer_end + 2
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos:pos + size]))
        pos += size + 2


def parse_path(target: str):
    """('next'|'response'|'error'|'init-error'|None, request id or None) of a Runtime API path."""
    path = target.split("?", 1)[0]
    if not path.startswith(PREFIX):
        return None, None
    rest = path[len(PREFIX):]
    if rest == "invocation/next":
        return "next", None
    if rest == "init/error":
        return "init-error", None
    if rest.startswith("invocation/"):
        request_id, _, action = rest[len("invocation/"):].partition("/")
        if action in ("response", "error"):
            return action, request_id
    return None, None
