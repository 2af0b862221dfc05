"""The bare ASGI app: the reference every ratio in bench/ is taken against.

It does the least any real app must do: answer a fixed 200 with a small body, and drain the
request body when there is one (so a POST costs the server the same parsing work it costs
pocketcloud). Extra paths serve bench/servers.py (protocol checks and a second workload):

  /echo    reads the whole body (any framing) and answers "<length> <sha256>"
  /stream  answers in three body parts 150 ms apart, without a Content-Length
  /work    (POST) does about as much Python per request as a light gateway request: parse
           a form body, canonicalise the headers, a SigV4-sized chain of HMACs, an XML body by
           string formatting. It compares servers where the app, not the server, dominates,
           which is where pocketcloud lives.
"""

import asyncio
import hashlib
import hmac
from urllib.parse import parse_qsl

BODY = b'{"ok":true}\n'
FIXED_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
FIXED_START = {"type": "http.response.start", "status": 200, "headers": FIXED_HEADERS}
FIXED_BODY = {"type": "http.response.body", "body": BODY}

STREAM_PARTS = (b"part-1;", b"part-2;", b"part-3.")
STREAM_GAP = 0.15


async def read_body(receive) -> bytes:
    parts = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(parts)


async def lifespan(receive, send, on_startup=None):
    """The ASGI lifespan protocol, for every bare app of bench/ (on_startup runs first)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if on_startup is not None:
                on_startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


_KEY = b"k" * 32
_XML = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult><Arn>arn:aws:iam::{account}:root</Arn><UserId>{account}</UserId>"
        "<Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{rid}"
        "</RequestId></ResponseMetadata></GetCallerIdentityResponse>")


async def _work(scope, receive, send):
    data = await read_body(receive)
    params = dict(parse_qsl(data.decode(), keep_blank_values=True))
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    canonical = "\n".join(f"{k}:{v}" for k, v in sorted(headers.items())) + hashlib.sha256(data).hexdigest()
    key = _KEY
    for part in ("20240101", "us-east-1", "sts", "aws4_request", canonical):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    body = _XML.format(account="000000000000", rid=key.hex()[:36] + params.get("Action", "")).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/xml"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    kind = scope["type"]
    if kind == "lifespan":
        await lifespan(receive, send)
        return
    if kind != "http":
        return
    path = scope["path"]
    if path == "/work":
        await _work(scope, receive, send)
        return
    if path == "/echo":
        data = await read_body(receive)
        answer = f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})
        return
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        for index, part in enumerate(STREAM_PARTS):
            last = index == len(STREAM_PARTS) - 1
            await send({"type": "http.response.body", "body": part, "more_body": not last})
            if not last:
                await asyncio.sleep(STREAM_GAP)
        return
    if scope["method"] != "GET":
        await read_body(receive)
    await send(FIXED_START)
    await send(FIXED_BODY)
