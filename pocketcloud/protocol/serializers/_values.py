"""Scalar formatting shared by every serializer: timestamps, blobs, numbers, booleans.

Providers hand us loosely typed values (a timestamp may be a datetime, naive meaning UTC, an
epoch number or an ISO string; a blob may be bytes or str), so every formatter accepts all the
forms a provider may reasonably use and emits exactly one wire form.
"""

from __future__ import annotations

import math
from base64 import b64encode
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache

from ..http import HttpResponse

EPOCH = datetime(1970, 1, 1)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_datetime(value) -> datetime:
    """Any accepted timestamp form -> naive datetime in UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EPOCH + timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return EPOCH + timedelta(seconds=float(text))
        except ValueError:
            pass
        try:
            return to_datetime(datetime.fromisoformat(text))
        except ValueError:
            pass
        return to_datetime(parsedate_to_datetime(text))  # an HTTP-date; raises if not
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(f"not a timestamp: {value!r}")


def iso8601(value) -> str:
    """2024-05-01T12:00:00.000Z; microseconds are kept when present so values round-trip."""
    d = value if type(value) is datetime and value.tzinfo is None else to_datetime(value)
    if d.microsecond % 1000:
        return d.isoformat(timespec="microseconds") + "Z"
    return d.isoformat(timespec="milliseconds") + "Z"


def epoch_seconds(value):
    """Seconds since the epoch: an int when whole, else a float (microsecond precision)."""
    if type(value) is int or type(value) is float:
        return value
    d = value if type(value) is datetime and value.tzinfo is None else to_datetime(value)
    delta = d - EPOCH
    seconds = delta.days * 86400 + delta.seconds
    if delta.microseconds:
        return seconds + delta.microseconds / 1e6
    return seconds


@lru_cache(maxsize=4096)  # the same few instants come back (an object's Last-Modified on every GET)
def http_date(value) -> str:
    """RFC 7231 IMF-fixdate, e.g. 'Wed, 21 Oct 2015 07:28:00 GMT' (whole seconds)."""
    d = value if type(value) is datetime and value.tzinfo is None else to_datetime(value)
    return (
        f"{_DAYS[d.weekday()]}, {d.day:02d} {_MONTHS[d.month - 1]} {d.year:04d} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} GMT"
    )


def epoch_text(value) -> str:
    """Epoch seconds as text (headers, XML), without a trailing '.0' on whole seconds."""
    seconds = epoch_seconds(value)
    return repr(seconds) if type(seconds) is float else str(seconds)


def timestamp_text_formatter(fmt: str | None, default: str):
    """The text formatter for a timestamp member's timestampFormat trait (or the default)."""
    fmt = fmt or default
    if fmt == "iso8601":
        return iso8601
    if fmt == "rfc822":
        return http_date
    if fmt == "unixTimestamp":
        return epoch_text
    raise ValueError(f"unknown timestampFormat {fmt!r}")


def to_bytes(value) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"not a blob: {type(value).__name__}")


def base64_text(value) -> str:
    return b64encode(to_bytes(value)).decode("ascii")


def bool_text(value) -> str:
    if isinstance(value, str):
        return "true" if value.lower() == "true" else "false"
    return "true" if value else "false"


def int_text(value) -> str:
    return str(value) if type(value) is int else str(int(value))


def float_text(value) -> str:
    """Decimal text that float() and every SDK parse; non-finite values as Smithy spells them."""
    if type(value) is float:
        if math.isfinite(value):
            return repr(value)
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if type(value) is int:
        return str(value)
    return float_text(float(value))


# Reserved result keys (never member names: models have no dunder members) for what a
# provider must sometimes add beyond the output shape: S3's 206 Partial Content for a Range
# GET, CORS headers on S3 responses, and the like.
RESULT_STATUS = "__status__"
RESULT_HEADERS = "__headers__"


def extra_headers(mapping) -> list[tuple[bytes, bytes]]:
    """Headers given as a dict or a list of pairs, as wire pairs (see wire_name)."""
    if not mapping:
        return []
    items = mapping.items() if isinstance(mapping, dict) else mapping
    return [(wire_name(str(k)), wire_value(str(v))) for k, v in items]


def apply_result_extras(result, status: int, headers: list) -> int:
    """Add a result's reserved __headers__ to `headers`; return its __status__ or `status`."""
    extra = result.get(RESULT_HEADERS)
    if extra:
        headers.extend(extra_headers(extra))
    override = result.get(RESULT_STATUS)
    return int(override) if override else status


# -- wire headers ------------------------------------------------------------------------------
# Serializers write headers as the ASGI server takes them, (lower-case name bytes, value bytes),
# so that the gateway hands them over untouched (HttpResponse.wire): encoding each response's
# dozen headers again on the way out cost a 1 KiB S3 PUT about a tenth of its CPU.

_NAMES: dict[str, bytes] = {}
_NAMES_KEPT = 4096  # names can come from clients (S3 user metadata): keep a bounded number


def wire_name(name: str) -> bytes:
    encoded = _NAMES.get(name)
    if encoded is None:
        encoded = name.lower().encode("latin-1")
        if len(_NAMES) < _NAMES_KEPT:
            _NAMES[name] = encoded
    return encoded


def wire_value(text: str) -> bytes:
    """A header value's bytes: a line break, which would end the header, becomes a space;
    text beyond Latin-1 (S3 user metadata) goes out as UTF-8."""
    if "\n" in text or "\r" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    if text.isascii():
        return text.encode()
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def wire_response(status: int, headers: list, body: bytes) -> HttpResponse:
    """A response whose body is bytes (errors, RPC results): its Content-Length appended."""
    headers.append((b"content-length", b"%d" % len(body)))
    return HttpResponse(status, headers, body, True)


def json_float(value):
    """A JSON-ready number; non-finite floats become the strings Smithy's JSON protocols use."""
    if type(value) is float and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
