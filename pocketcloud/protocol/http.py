"""The HTTP request and response as the codec sees them, independent of the ASGI server."""

from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, unquote_plus


# The query parameters of a SigV4 presigned URL: signature data, never operation input.
PRESIGNED_QUERY_KEYS = frozenset((
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
    "X-Amz-Signature", "X-Amz-Security-Token",
))


class BodyStream:
    """A request body that is read incrementally rather than held whole in memory.

    Streaming payload members (S3 PutObject's Body, UploadPart's Body...) receive one of
    these. `source` is an async iterator of byte chunks (the ASGI receive loop, or an
    aws-chunked decoder wrapping another BodyStream).
    """

    def __init__(self, source: AsyncIterator[bytes] | None, length: int | None = None, held: bytes = b""):
        """held: the body, when it is in memory already (source None)."""
        self._source = source
        self._buffer = held
        self._done = source is None
        self.length = length  # declared decoded length when known

    @property
    def exhausted(self) -> bool:
        """True once the whole body has been read from the client."""
        return self._done and not self._buffer

    def held(self) -> bytes | None:
        """The whole body when it is already in memory (read whole by the gateway), else None."""
        return self._buffer if self._source is None else None

    def __aiter__(self):
        if self._done:
            # A body already in memory (most S3 PUTs are small): handed over without an async
            # generator, whose first step costs the event loop's asyncgen bookkeeping.
            data, self._buffer = self._buffer, b""
            return _Once(data)
        return self._chunks()

    async def _chunks(self):
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        async for chunk in self._source:
            if chunk:
                yield chunk
        self._done = True

    async def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (all remaining when n < 0); b"" at the end."""
        if n < 0:
            parts = [self._buffer]
            self._buffer = b""
            if not self._done:
                async for chunk in self._source:
                    parts.append(chunk)
                self._done = True
            return b"".join(parts)
        while len(self._buffer) < n and not self._done:
            try:
                chunk = await self._source.__anext__()
            except StopAsyncIteration:
                self._done = True
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    @classmethod
    def from_bytes(cls, data: bytes) -> "BodyStream":
        return cls(None, len(data), data)


class _Once:
    """An async iterator of one chunk (none if empty)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        data = self.data
        if not data:
            raise StopAsyncIteration
        self.data = b""
        return data


class HttpRequest:
    """One request as the codec sees it. A plain slotted class rather than a dataclass: one is
    made per request, and dataclass machinery costs start-up time."""

    __slots__ = ("method", "path", "query_string", "headers", "body", "stream", "uri_params",
                 "credentials", "original_path", "body_read", "chunk_signatures", "_form", "_query", "client",
                 "audit")

    def __init__(self, method: str, path: str, query_string: str = "", headers: dict[str, str] | None = None,
                 body: bytes = b"", stream: BodyStream | None = None):
        self.method = method
        self.path = path  # raw request path, still percent-encoded, without the query string
        self.query_string = query_string  # raw query string, without '?'
        self.headers = {} if headers is None else headers  # lower-case names
        self.body = body  # the whole body, unless `stream` is set
        self.stream = stream  # set instead of `body` for streaming-payload operations
        # REST label values, when the router matched them (the parser fills the rest of the
        # operation's input into the same dict: parsers/_rest.parse_rest)
        self.uri_params: dict[str, str] | None = None
        self.credentials: Any = None  # the parsed SigV4/SigV2 credentials (gateway.sigv4), if signed
        self.original_path: str | None = None  # the path as received, when routing rewrote `path`
        self.body_read = False
        # gateway.sigv4.ChunkSignatureChain of a signed aws-chunked upload whose seed signature
        # was verified: the body's decoder checks every chunk against it.
        self.chunk_signatures = None
        self.client: str = "127.0.0.1"  # the client's address, as CloudTrail's sourceIPAddress
        # [RequestContext, params, result] once the gateway has them, for CloudTrail's record.
        self.audit: list | None = None
        self._form: list[tuple[str, str]] | None = None
        self._query: list[tuple[str, str]] | None = None

    def __repr__(self) -> str:
        return f"HttpRequest({self.method} {self.path}{'?' + self.query_string if self.query_string else ''})"

    @property
    def query(self) -> list[tuple[str, str]]:
        """Decoded query parameters in order, repeated keys kept."""
        if self._query is None:
            self._query = parse_qsl(self.query_string, keep_blank_values=True)
        return self._query

    def query_dict(self) -> dict[str, str]:
        """First value of each query parameter."""
        out: dict[str, str] = {}
        if not self.query_string:
            return out
        for k, v in self.query:
            out.setdefault(k, v)
        return out

    def form_pairs(self) -> list[tuple[str, str]]:
        """Query-string pairs, then form-body pairs, decoded (the query and ec2 protocols
        accept parameters in either). Computed once: the router and the parser both use it."""
        if self._form is None:
            pairs = split_form(self.query_string) if self.query_string else []
            body = self.body
            if body:
                pairs += split_form(body.decode("utf-8", "replace"))
            self._form = pairs
        return self._form

    @property
    def host(self) -> str:
        return self.headers.get("host", "")



class HttpResponse:
    __slots__ = ("status", "headers", "body", "wire")

    def __init__(self, status: int = 200, headers: list[tuple[str, str]] | None = None, body: Any = b"",
                 wire: bool = False):
        self.status = status
        self.headers = [] if headers is None else headers
        self.body = body  # bytes, or a (sync or async) iterable of bytes for streaming payloads
        # wire: the headers are (lower-case name bytes, value bytes) pairs, Content-Length among
        # them when the body is bytes, as the codec's serializers write them; else (str, str).
        self.wire = wire

    def __repr__(self) -> str:
        return f"HttpResponse({self.status}, {len(self.headers)} headers)"


def split_form(text: str) -> list[tuple[str, str]]:
    """application/x-www-form-urlencoded (or a raw query string) -> decoded pairs in order.

    Cheaper than urllib's parse_qsl for the common case of mostly-plain values, which
    matters on the query protocol's hot path.
    """
    pairs = []
    if not text:
        return pairs
    for piece in text.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        pairs.append((key, value))
    return pairs
