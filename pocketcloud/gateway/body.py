"""Reading request bodies: whole (bounded) for most operations, streamed for streaming payloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import specs
from ..protocol.errors import ServiceError
from ..protocol.http import BodyStream, HttpRequest

if TYPE_CHECKING:
    from .router import Route


async def read_body(request: HttpRequest, receive, limit: int, route: "Route | None" = None) -> None:
    """Fill request.body (at most `limit` bytes, else 413), or set request.stream when the
    routed operation's payload is a streaming blob. The errors of a routed request carry its
    service and protocol (as the router's RouteError does), to be written in them."""
    if request.body_read:
        return
    request.body_read = True
    headers = request.headers
    declared = headers.get("content-length")
    length = int(declared) if declared and _is_number(declared) else None
    streams = False
    if route is not None:
        streams = route.streams_input
        if streams is None:
            streams = route.streams_input = _streams_input(route.service, route.operation)
    try:
        if streams and (length is None or length > SMALL_STREAM or "expect" in headers):
            # A small streaming payload is read whole like any other body (the parser hands it
            # over as a stream all the same). A client waiting for "100 Continue" is left to the
            # stream, which asks for the body only once it is wanted.
            request.stream = BodyStream(_receive_chunks(receive), _declared_length(headers))
            return
        if length is not None and length > limit:
            raise _too_large(limit)
        message = await receive()
        body = message.get("body", b"")
        size = len(body)
        if size > limit:
            raise _too_large(limit)
        if message.get("more_body"):  # most bodies come in one message; the others are joined
            parts = [body]
            while message.get("more_body"):
                message = await receive()
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(limit)
                    parts.append(chunk)
            body = b"".join(parts)
        # A body cut short (the client gone before its Content-Length) is no body to act on.
        if (length is not None and size != length) or message["type"] != "http.request":
            raise _incomplete()
    except ServiceError as error:
        if route is not None:
            error.service, error.protocol = route.service, route.protocol
        raise
    request.body = body


def _too_large(limit: int) -> ServiceError:
    return ServiceError("RequestEntityTooLarge", f"Request body exceeds {limit} bytes", 413)


def _incomplete() -> ServiceError:
    return ServiceError("IncompleteBody", "You did not provide the number of bytes specified by the "
                        "Content-Length HTTP header.", 400)


def body_left_unread(request: HttpRequest) -> bool:
    if request.stream is not None:
        return not request.stream.exhausted
    return not request.body_read


def _streams_input(service: str, operation: str) -> bool:
    """True when the payload member has the `streaming` trait (S3 PutObject, UploadPart...):
    only those bodies are streamed; other blob payloads (Lambda Invoke) arrive whole. Asked
    once per Route (read_body keeps the answer on it)."""
    shape = specs.service_model(service).operation_model(operation).get_streaming_input()
    return bool(shape is not None and shape.serialization.get("streaming"))


async def _receive_chunks(receive):
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body"):
            return


SMALL_STREAM = 64 * 1024  # a streaming payload up to this size is read whole (read_body)


def _declared_length(headers: dict[str, str]) -> int | None:
    value = headers.get("x-amz-decoded-content-length") or headers.get("content-length")
    return int(value) if value and _is_number(value) else None


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()  # isdigit() alone accepts '²', which int() refuses
