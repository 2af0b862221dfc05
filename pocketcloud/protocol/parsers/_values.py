"""Scalar coercion shared by every request parser.

Wire scalars arrive either as text (query strings, form bodies, headers, URI labels, XML
text) or as JSON/CBOR values. The converters here turn them into what a botocore user would
have passed: int, float, bool, bytes, str and timezone-aware UTC datetimes. They raise
BadValue (a plain ValueError subclass) on input that does not fit; each protocol turns that
into its own AWS error code.

Timestamps are parsed leniently on purpose: whatever the model's timestampFormat says, a
value in any of the three AWS formats (ISO 8601, epoch seconds, RFC 7231 HTTP-date) is
accepted, because clients other than botocore are not always strict about it.
"""

from __future__ import annotations

import binascii
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class BadValue(ValueError):
    """A wire value that does not fit its shape; the message is shown to the client."""


# --- timestamps --------------------------------------------------------------------------


def epoch_to_datetime(seconds) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadValue(f"timestamp {_brief(seconds)} is out of range") from exc


def _brief(value) -> str:
    # repr() of an int past 4300 digits raises ValueError (a CBOR bignum can be that long)
    if type(value) is int and value.bit_length() > 256:
        return f"(an integer of {value.bit_length()} bits)"
    return repr(value)[:200]


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    if dt.utcoffset():
        return dt.astimezone(UTC)
    return dt if dt.tzinfo is UTC else dt.replace(tzinfo=UTC)


def text_to_timestamp(text: str) -> datetime:
    """ISO 8601, epoch seconds or HTTP-date text -> aware UTC datetime."""
    text = text.strip()
    if not text:
        raise BadValue("empty timestamp")
    first = text[0]
    if first.isdigit() and len(text) >= 10 and text[4:5] == "-":
        try:
            return _aware(datetime.fromisoformat(text))
        except (ValueError, OverflowError):  # OverflowError: 9999-12-31T23:59:59-23:59 in UTC
            pass
    if first.isdigit() or first in "+-.":
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return epoch_to_datetime(number)
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise BadValue(f"'{text[:64]}' is not a valid timestamp") from exc


def number_to_timestamp(value) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadValue(f"{_brief(value)} is not a valid epoch timestamp")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValue(f"{_brief(value)} is not a valid epoch timestamp")
    return epoch_to_datetime(value)


def any_to_timestamp(value) -> datetime:
    """JSON/CBOR timestamp value: number (epoch), string (any text format) or datetime."""
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, str):
        return text_to_timestamp(value)
    return number_to_timestamp(value)


# --- blobs -------------------------------------------------------------------------------


def b64_to_bytes(text: str) -> bytes:
    """Strict base64 (the alphabet, padding) -> bytes."""
    if not isinstance(text, str):
        raise BadValue("a blob must be a base64 string")
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True) if text else b""
    except (binascii.Error, UnicodeEncodeError):
        # Tolerate line breaks and missing padding, which some encoders produce.
        cleaned = "".join(text.split())
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return binascii.a2b_base64(cleaned.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise BadValue(f"'{text[:64]}' is not valid base64") from exc


# --- text scalars ------------------------------------------------------------------------


def text_to_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadValue(f"'{text}' is not a valid integer") from None


_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))


def text_to_bool(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise BadValue(f"'{text}' is not a valid boolean")


def text_to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadValue(f"'{text}' is not a valid number") from None


def text_identity(text: str) -> str:
    return text


# Text converters by botocore type name; anything unlisted stays a string.
TEXT_CONVERTERS = {
    "string": text_identity,
    "character": text_identity,
    "integer": text_to_int,
    "long": text_to_int,
    "short": text_to_int,
    "byte": text_to_int,
    "bigInteger": text_to_int,
    "boolean": text_to_bool,
    "float": text_to_float,
    "double": text_to_float,
    "bigDecimal": text_to_float,
    "timestamp": text_to_timestamp,
    "blob": b64_to_bytes,
}


def text_converter(shape):
    return TEXT_CONVERTERS.get(shape.type_name, text_identity)
