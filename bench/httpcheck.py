"""Tiny raw-socket HTTP/1.1 checks: the protocol features AWS clients lean on.

Each check returns (ok, note). They talk bytes on a socket so that nothing between us and the
server (no client library) hides what the server does.
"""

from __future__ import annotations

import hashlib
import socket
import time

from bench.apps import STREAM_GAP, STREAM_PARTS

TIMEOUT = 3.0


class Conn:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""
        self.port = port

    def close(self):
        self.sock.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def readline(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("closed mid-line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("closed mid-body")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def head(self) -> tuple[int, dict[str, str]]:
        status = int(self.readline().split()[1])
        headers = {}
        while line := self.readline():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def response(self, timings: list | None = None) -> tuple[int, dict[str, str], bytes]:
        """One final response; `timings` gets the arrival time of each body chunk."""
        status, headers = self.head()
        while 100 <= status < 200:
            status, headers = self.head()
        if "content-length" in headers:
            return status, headers, self.read(int(headers["content-length"]))
        if "chunked" in headers.get("transfer-encoding", ""):
            parts = []
            while True:
                size = int(self.readline().split(b";")[0], 16)
                if size == 0:
                    while self.readline():  # trailers, then the blank line
                        pass
                    return status, headers, b"".join(parts)
                parts.append(self.read(size))
                self.readline()
                if timings is not None:
                    timings.append(time.perf_counter())
        while self._fill():
            pass
        data, self.buf = self.buf, b""
        return status, headers, data


def _request(path: str, port: int, method: str = "GET", extra: str = "") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode()


def _echo_answer(data: bytes) -> bytes:
    return f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode()


def check_keepalive(port: int) -> tuple[bool, str]:
    conn = Conn(port)
    try:
        statuses = []
        for _ in range(3):
            conn.send(_request("/", port))
            status, headers, _ = conn.response()
            statuses.append(status)
            if headers.get("connection", "").lower() == "close":
                return False, "server closed the connection"
        return statuses == [200, 200, 200], "3 requests on one connection"
    finally:
        conn.close()


def check_expect_continue(port: int) -> tuple[bool, str]:
    body = b"expect-continue-body"
    conn = Conn(port)
    try:
        conn.send(_request("/echo", port, "POST",
                           f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n"))
        # A client waits about a second for the interim response before sending anyway.
        conn.sock.settimeout(1.0)
        got_continue = False
        try:
            conn._fill()
            got_continue = conn.buf.startswith(b"HTTP/1.1 100")
        except socket.timeout:
            pass
        conn.sock.settimeout(TIMEOUT)
        conn.send(body)
        status, _, answer = conn.response()
        ok = status == 200 and answer == _echo_answer(body)
        return ok, "100 Continue sent" if got_continue else "no 100 Continue (body sent after 1 s wait)"
    finally:
        conn.close()


def check_chunked_request(port: int) -> tuple[bool, str]:
    pieces = [b"hello ", b"chunked ", b"world"]
    conn = Conn(port)
    try:
        conn.send(_request("/echo", port, "POST", "Transfer-Encoding: chunked\r\n"))
        for piece in pieces:
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            time.sleep(0.02)
        conn.send(b"0\r\n\r\n")
        status, _, answer = conn.response()
        ok = status == 200 and answer == _echo_answer(b"".join(pieces))
        return ok, "3 chunks echoed" if ok else f"got {status} {answer[:60]!r}"
    finally:
        conn.close()


def check_streaming_response(port: int) -> tuple[bool, str]:
    conn = Conn(port)
    try:
        start = time.perf_counter()
        conn.send(_request("/stream", port))
        timings: list[float] = []
        status, headers, body = conn.response(timings)
        complete = status == 200 and body == b"".join(STREAM_PARTS)
        if not timings:
            return False, f"not chunked (headers {headers})"
        first, last = timings[0] - start, timings[-1] - start
        # Streamed means the first part arrived well before the app produced the last one.
        streamed = last - first > STREAM_GAP
        note = f"first part at {first * 1000:.0f} ms, last at {last * 1000:.0f} ms"
        return complete and streamed, note
    finally:
        conn.close()


CHECKS = {
    "keep-alive": check_keepalive,
    "expect-100": check_expect_continue,
    "chunked-req": check_chunked_request,
    "stream-resp": check_streaming_response,
}


def run_checks(port: int) -> dict[str, tuple[bool, str]]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check(port)
        except Exception as exc:  # a failing check is a result, not a crash of the benchmark
            results[name] = (False, f"{type(exc).__name__}: {exc}")
    return results
