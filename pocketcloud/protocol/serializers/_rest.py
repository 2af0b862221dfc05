"""HTTP bindings shared by rest-json and rest-xml: status code, headers, payload, streaming.

A RestPlan, compiled once per output (or error) shape, says where each member goes:
  - statusCode member      -> the HTTP status (else the operation's http.responseCode, or 200)
  - header members         -> one header each (timestamps as HTTP-date unless timestampFormat
                              says otherwise, lists comma-joined, jsonvalue strings as base64
                              JSON, blobs base64, booleans true/false)
  - headers (prefix) maps  -> one header per entry, the map key appended to the prefix
  - the payload member     -> the whole body (structure: serialized by the protocol; blob or
                              string: raw, streamed when the provider gives a stream)
  - everything else        -> the protocol's body document
"""

from __future__ import annotations

import json

from ._values import (
    RESULT_HEADERS,
    RESULT_STATUS,
    apply_result_extras,
    base64_text,
    bool_text,
    float_text,
    int_text,
    timestamp_text_formatter,
    to_bytes,
    wire_name,
    wire_value,
)

CHUNK_SIZE = 64 * 1024
_NO_BODY_STATUS = frozenset((204, 304))
# Payloads sent as they are (raw_body), whatever the protocol's document format.
_RAW_CONTENT_TYPES = {"blob": b"application/octet-stream", "string": b"text/plain"}


def _header_formatter(shape):
    """value -> the header's bytes (see _values.wire_value)."""
    kind = shape.type_name
    if kind == "list":
        item = _text_formatter(shape.member)

        def join(value):
            return wire_value(",".join(item(x) for x in value if x is not None))

        return join
    if kind in ("integer", "long", "short", "byte"):
        return _int_bytes
    if kind == "string" and not shape.serialization.get("jsonvalue"):
        return _text_bytes
    text = _text_formatter(shape)
    return lambda value: wire_value(text(value))


def _text_formatter(shape):
    kind = shape.type_name
    if kind == "timestamp":
        return timestamp_text_formatter(shape.serialization.get("timestampFormat"), "rfc822")
    if kind in ("integer", "long", "short", "byte"):
        return int_text
    if kind == "boolean":
        return bool_text
    if kind in ("float", "double"):
        return float_text
    if kind == "blob":
        return base64_text
    if shape.serialization.get("jsonvalue"):
        return _json_header
    return str


def _json_header(value) -> str:
    return base64_text(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _text_bytes(value) -> bytes:
    text = value if type(value) is str else str(value)
    # Printable ASCII (nearly every value) is its own bytes: no line break to replace, no charset.
    return text.encode() if text.isascii() and text.isprintable() else wire_value(text)


def _int_bytes(value) -> bytes:
    return b"%d" % (value if type(value) is int else int(value))


class RestPlan:
    __slots__ = (
        "content_type_member",
        "has_body_members",
        "length_member",
        "header_index",
        "header_maps",
        "headers",
        "is_head",
        "payload",
        "payload_kind",
        "payload_shape",
        "raw_content_type",
        "status",
        "status_member",
    )

    def __init__(self, shape, status: int = 200, method: str | None = None):
        self.status = status
        self.status_member = None
        self.headers: list[tuple[str, bytes, object]] = []  # (member, wire name, formatter)
        self.header_index: dict[str, tuple[bytes, object]] = {}  # member -> (wire name, formatter)
        self.header_maps: list[tuple[str, str]] = []  # (member, header prefix)
        self.content_type_member = None
        self.length_member = None
        self.payload = None
        self.payload_shape = None
        self.payload_kind = None
        self.raw_content_type = None
        self.has_body_members = False
        self.is_head = method == "HEAD"
        if shape is None:
            return
        for name, member in shape.members.items():
            ser = member.serialization
            location = ser.get("location")
            if location == "statusCode":
                self.status_member = name
            elif location == "header":
                header = wire_name(ser.get("name", name))
                self.headers.append((name, header, _header_formatter(member)))
                self.header_index[name] = self.headers[-1][1:]
                if header == b"content-type":
                    self.content_type_member = name
                elif header == b"content-length":
                    self.length_member = name
            elif location == "headers":
                self.header_maps.append((name, ser.get("name", "")))
            elif location is None:
                self.has_body_members = True
        payload = shape.serialization.get("payload")
        if payload is not None:
            self.payload = payload
            self.payload_shape = member = shape.members[payload]
            if member.serialization.get("eventstream"):
                self.payload_kind = "eventstream"
            else:
                self.payload_kind = member.type_name
                self.raw_content_type = _RAW_CONTENT_TYPES.get(member.type_name)

    def bind(self, result: dict, headers: list, extras: bool = True) -> int:
        """Append the header-bound members (and, with `extras`, reserved __headers__) to
        `headers`; return the HTTP status (statusCode member, reserved __status__, else the
        modelled one). Errors bind their members only (extras=False: theirs go elsewhere)."""
        if len(result) < len(self.headers):  # S3's outputs model many headers; results set a few
            index = self.header_index
            for name, value in result.items():
                entry = index.get(name)
                if entry is not None and value is not None:
                    header, fmt = entry
                    if fmt is _text_bytes and type(value) is str and value.isascii() and value.isprintable():
                        headers.append((header, value.encode()))  # _text_bytes's common case, without a call
                    else:
                        headers.append((header, fmt(value)))
        else:
            for name, header, fmt in self.headers:
                value = result.get(name)
                if value is not None:
                    headers.append((header, fmt(value)))
        for name, prefix in self.header_maps:
            entries = result.get(name)
            if entries:
                for key, value in entries.items():
                    if value is not None:
                        headers.append((wire_name(prefix + key), _text_bytes(value)))
        status = self.status
        if self.status_member is not None:
            value = result.get(self.status_member)
            if value is not None:
                status = int(value)
        if extras and (RESULT_HEADERS in result or RESULT_STATUS in result):  # rare: tested without a call
            return apply_result_extras(result, status, headers)
        return status

    def finish_body(self, status: int, result: dict, headers: list, body, content_type: bytes | None):
        """The body to send: none at all for HEAD and 204/304; else `body`, its Content-Type
        appended to `headers` unless a header member of the result already sets one. A body
        in memory gets its Content-Length unless a member gave one (HEAD's is the object's)."""
        if self.is_head or status in _NO_BODY_STATUS:
            body = b""
        elif content_type is not None and (
            self.content_type_member is None or result.get(self.content_type_member) is None
        ):
            headers.append((b"content-type", content_type))
        if type(body) is bytes and (self.length_member is None or result.get(self.length_member) is None):
            headers.append((b"content-length", b"%d" % len(body)))
        return body


_plans: dict = {}


def operation_plan(operation_model) -> RestPlan:
    plan = _plans.get(operation_model)
    if plan is None:
        http = operation_model.http
        plan = _plans[operation_model] = RestPlan(
            operation_model.output_shape, http.get("responseCode") or 200, http.get("method")
        )
    return plan


_error_plans: dict[int, tuple] = {}


def error_plan(shape) -> RestPlan:
    entry = _error_plans.get(id(shape._shape_model))
    if entry is None:
        # The model dict is kept with the plan so that its id stays unique.
        entry = _error_plans[id(shape._shape_model)] = (shape._shape_model, RestPlan(shape))
    return entry[1]


def is_head(operation_model) -> bool:
    return operation_model is not None and operation_model.http.get("method") == "HEAD"


def error_without_body(operation_model, status: int) -> bool:
    """HEAD answers and 204/304 (S3's conditional GET: 304 Not Modified) carry no body."""
    return status in _NO_BODY_STATUS or is_head(operation_model)


def raw_body(value):
    """A blob/string payload as HttpResponse.body, without reading a stream into memory."""
    if value is None:
        return b""
    if type(value) is bytes:
        return value
    if isinstance(value, (str, bytearray, memoryview)):
        return to_bytes(value)
    if hasattr(value, "__aiter__"):
        return value
    if hasattr(value, "read"):
        return file_chunks(value)
    if hasattr(value, "__iter__"):
        return value
    raise TypeError(f"cannot stream a {type(value).__name__}")


def file_chunks(fileobj, size: int = CHUNK_SIZE):
    """Read a file-like object in chunks (closing it at the end) instead of whole."""
    try:
        while True:
            chunk = fileobj.read(size)
            if not chunk:
                break
            yield chunk
    finally:
        close = getattr(fileobj, "close", None)
        if close is not None:
            close()
