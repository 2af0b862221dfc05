"""Event stream responses (application/vnd.amazon.eventstream).

Lambda's InvokeWithResponseStream, S3's SelectObjectContent and CloudWatch Logs' StartLiveTail
and GetLogObject answer with a stream of binary-framed messages:

    [total length u32][headers length u32][prelude CRC32][headers][payload][message CRC32]

A provider returns the stream member as a (sync or async) iterable of events, each a dict
with one key, the event's member name in the stream union: {"PayloadChunk": {"Payload": b".."}}.
Members marked eventheader become typed message headers, an eventpayload member is the
payload (raw for blobs and strings, serialized for structures), and otherwise the event's
remaining members are serialized as the payload in the protocol's body format. A ServiceError
raised by the iterator ends the stream with an exception message (when the stream models that
error) or an error message.
"""

from __future__ import annotations

import struct
import uuid
from binascii import crc32

from ..errors import ServiceError
from ._values import epoch_seconds, to_bytes

CONTENT_TYPE = "application/vnd.amazon.eventstream"

_BOOL_TRUE, _BOOL_FALSE, _BYTE, _SHORT, _INT, _LONG, _BYTES, _STRING, _TIMESTAMP, _UUID = range(10)


def _header(name: str, kind: int, value) -> bytes:
    raw_name = name.encode("utf-8")
    head = bytes((len(raw_name),)) + raw_name + bytes((kind,))
    if kind in (_BOOL_TRUE, _BOOL_FALSE):
        return head
    if kind == _BYTE:
        return head + struct.pack("!b", value)
    if kind == _SHORT:
        return head + struct.pack("!h", value)
    if kind == _INT:
        return head + struct.pack("!i", value)
    if kind in (_LONG, _TIMESTAMP):
        return head + struct.pack("!q", value)
    if kind == _UUID:
        return head + value
    data = value.encode("utf-8") if kind == _STRING else value
    return head + struct.pack("!H", len(data)) + data


def encode_message(headers: list[tuple[str, int, object]], payload: bytes) -> bytes:
    raw_headers = b"".join(_header(*h) for h in headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    prelude += struct.pack("!I", crc32(prelude) & 0xFFFFFFFF)
    message = prelude + raw_headers + payload
    return message + struct.pack("!I", crc32(message) & 0xFFFFFFFF)


def string_header(name: str, value: str) -> tuple[str, int, str]:
    return (name, _STRING, value)


def _typed_header(name: str, shape, value) -> tuple[str, int, object]:
    kind = shape.type_name
    if kind == "boolean":
        return (name, _BOOL_TRUE if value else _BOOL_FALSE, None)
    if kind == "byte":
        return (name, _BYTE, int(value))
    if kind == "short":
        return (name, _SHORT, int(value))
    if kind == "integer":
        return (name, _INT, int(value))
    if kind == "long":
        return (name, _LONG, int(value))
    if kind == "blob":
        return (name, _BYTES, to_bytes(value))
    if kind == "timestamp":
        return (name, _TIMESTAMP, round(epoch_seconds(value) * 1000))
    if isinstance(value, uuid.UUID):
        return (name, _UUID, value.bytes)
    return (name, _STRING, str(value))


class EventEncoder:
    """Turns provider events into messages for one stream shape and one body format.

    `serialize_struct(shape, value, root_name) -> bytes` writes a structure in the protocol's
    body format; `content_type` names that format.
    """

    def __init__(self, stream_shape, serialize_struct, content_type: str):
        self.stream_shape = stream_shape
        self.serialize_struct = serialize_struct
        self.content_type = content_type

    def event(self, name: str, value) -> bytes:
        shape = self.stream_shape.members.get(name)
        if shape is None:
            raise ValueError(f"{name!r} is not an event of {self.stream_shape.name}")
        value = value or {}
        headers = [string_header(":message-type", "event"), string_header(":event-type", name)]
        payload_member = None
        body_values = {}
        for member_name, member in shape.members.items():
            item = value.get(member_name)
            ser = member.serialization
            if ser.get("eventpayload"):
                payload_member = (member_name, member)
            elif item is None:
                continue
            elif ser.get("eventheader"):
                headers.append(_typed_header(ser.get("name", member_name), member, item))
            else:
                body_values[member_name] = item
        if payload_member is not None:
            member_name, member = payload_member
            item = value.get(member_name)
            if member.type_name == "blob":
                payload, content_type = (to_bytes(item) if item is not None else b""), "application/octet-stream"
            elif member.type_name == "string":
                payload, content_type = (item or "").encode("utf-8"), "text/plain"
            else:
                # XML roots are named after the payload's shape (S3 Select: <Stats>, <Progress>),
                # as a REST payload's are, not after the member.
                root = member.serialization.get("name") or member.name
                payload, content_type = self.serialize_struct(member, item or {}, root), self.content_type
        elif shape.members:
            payload, content_type = self.serialize_struct(shape, body_values, shape.name), self.content_type
        else:
            payload, content_type = b"", None
        if content_type:
            headers.append(string_header(":content-type", content_type))
        return encode_message(headers, payload)

    def initial_response(self, payload: bytes) -> bytes:
        return encode_message(
            [
                string_header(":message-type", "event"),
                string_header(":event-type", "initial-response"),
                string_header(":content-type", self.content_type),
            ],
            payload,
        )

    def error(self, exc: BaseException) -> bytes:
        if isinstance(exc, ServiceError):
            shape = self.stream_shape.members.get(exc.code)
            if shape is not None and shape.metadata.get("exception"):
                values = dict(exc.fields)
                values.pop("__headers__", None)
                for member_name in shape.members:
                    if member_name.lower() == "message":
                        values.setdefault(member_name, exc.message)
                return encode_message(
                    [
                        string_header(":message-type", "exception"),
                        string_header(":exception-type", exc.code),
                        string_header(":content-type", self.content_type),
                    ],
                    self.serialize_struct(shape, values, shape.name),
                )
            code, message = exc.code, exc.message
        else:
            code, message = "InternalFailure", "The stream ended with an internal error."
        return encode_message(
            [
                string_header(":message-type", "error"),
                string_header(":error-code", code),
                string_header(":error-message", message),
            ],
            b"",
        )

    def _one(self, event) -> bytes:
        ((name, value),) = event.items()
        return self.event(name, value)

    def body(self, events, initial: bytes | None = None):
        """The response body: a generator matching the provider's iterable (sync or async)."""
        if hasattr(events, "__aiter__"):
            return self._async_body(events, initial)
        return self._sync_body(events, initial)

    def _sync_body(self, events, initial):
        if initial is not None:
            yield initial
        try:
            for event in events or ():
                yield self._one(event)
        except Exception as exc:  # noqa: BLE001 - the stream is under way: report in-band
            yield self.error(exc)

    async def _async_body(self, events, initial):
        if initial is not None:
            yield initial
        try:
            async for event in events:
                yield self._one(event)
        except Exception as exc:  # noqa: BLE001 - as above
            yield self.error(exc)
