"""Writing HttpResponse objects to ASGI, and errors for requests no service model claims."""

from __future__ import annotations

import asyncio
import json

from ..protocol.errors import ServiceError
from ..protocol.http import HttpResponse
from ..protocol.serializers._values import wire_name, wire_value


async def send_response(send, response: HttpResponse, method: str, receive=None) -> None:
    body = b"" if response.body is None else response.body
    if response.wire:  # the codec's: already as the server takes them
        headers = response.headers
    else:
        headers = []
        append = headers.append
        has_length = False
        for k, v in response.headers:  # one pass (a response has a dozen headers at most)
            name = wire_name(k)
            if name == b"content-length":
                has_length = True
            append((name, wire_value(v if type(v) is str else str(v))))
        if not has_length and isinstance(body, (bytes, bytearray, memoryview)):
            append((b"content-length", b"%d" % len(body)))
    if isinstance(body, (bytes, bytearray, memoryview)):
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
