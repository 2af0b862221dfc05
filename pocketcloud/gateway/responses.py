"""Writing HttpResponse objects to ASGI, and errors for requests no service model claims."""

from __future__ import annotations

import asyncio
import json

from ..protocol.errors import ServiceError
from ..protocol.http import HttpResponse


async def send_response(send, response: HttpResponse, method: str, receive=None) -> None:
    body = response.body
    names = _NAMES
    headers = []
    append = headers.append
    has_length = False
    for k, v in response.headers:  # one pass (a response has a dozen headers at most)
        name = names.get(k) or _name_bytes(k)
        if name == b"content-length":
            has_length = True
        # An ASCII value's UTF-8 bytes are its Latin-1 bytes (and "utf-8" is encode's fast path).
        append((name, v.encode() if type(v) is str and v.isascii() else _header_bytes(v)))
    if body is None:
        body = b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        if not has_length:
            append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else bytes(body)})
        return
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if method != "HEAD":
        if hasattr(body, "__aiter__"):
            await _stream_until_disconnect(send, body, receive)
        else:
            for chunk in body:
                if chunk:
                    await send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
    close = getattr(body, "aclose", None) or getattr(body, "close", None)
    if callable(close):
        result = close()
        if hasattr(result, "__await__"):
            await result
    await send({"type": "http.response.body", "body": b""})


async def _stream_until_disconnect(send, body, receive) -> None:
    """Send an async body (event streams, which may run for hours: Live Tail) until it ends or the
    client goes away; the ASGI server drops writes to a closed connection without a word, so
    without watching `receive` an abandoned stream would run on."""

    async def pump():
        async for chunk in body:
            if chunk:
                await send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})

    async def disconnected():
        while (await receive())["type"] != "http.disconnect":
            pass

    if receive is None:
        await pump()
        return
    streaming, watching = asyncio.ensure_future(pump()), asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({streaming, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (streaming, watching):
            task.cancel()
        await asyncio.gather(streaming, watching, return_exceptions=True)
    if streaming.done() and not streaming.cancelled() and streaming.exception() is not None:
        raise streaming.exception()


# Header names, lower-cased and encoded once: services answer with the same few dozen names.
_NAMES: dict[str, bytes] = {}
_NAMES_KEPT = 4096  # names can come from clients (S3 user metadata): keep a bounded number


def _name_bytes(name: str) -> bytes:
    encoded = name.lower().encode("latin-1")
    if len(_NAMES) < _NAMES_KEPT:
        _NAMES[name] = encoded
    return encoded


def _header_bytes(value) -> bytes:
    text = str(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")  # non-Latin-1 values (S3 user metadata) go out as UTF-8


def generic_error(error: ServiceError, request_id: str, protocol: str | None = None) -> HttpResponse:
    """An AWS-shaped error when no service model applies (unknown service or target)."""
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        return HttpResponse(
            error.status,
            [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id),
             ("x-amzn-ErrorType", error.code)],
            body,
        )
    from ..protocol.serializers._xml import escape  # rare path: not loaded at start-up

    kind = "Sender" if error.sender_fault else "Receiver"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>{kind}</Type>'
        f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return HttpResponse(
        error.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    )
