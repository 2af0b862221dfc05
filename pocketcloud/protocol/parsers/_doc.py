"""Decoded JSON / CBOR document -> input dict, driven by the shape.

One converter function is compiled per shape (closures, so the per-request work is a dict
walk with no attribute lookups on botocore shapes). Converters:
  - rename members from their wire name (locationName) to the member name,
  - drop unknown members and nulls (AWS ignores both),
  - turn timestamps (epoch numbers, text, or CBOR tag-1 datetimes) into aware datetimes,
    blobs (base64 text in JSON, byte strings in CBOR) into bytes, "NaN"/"Infinity" into floats,
  - check scalar types, raising BadValue (with the member path) on a mismatch.
Document-type members pass through untouched.
"""

from __future__ import annotations

import math

from ._converters import compile_shared, record_path
from ._values import BadValue, any_to_timestamp, b64_to_bytes

try:  # CBOR's "undefined" simple value reads as absent, like null
    from cbor2 import undefined as UNDEFINED
except ImportError:  # pragma: no cover - cbor2 is a hard dependency
    UNDEFINED = None


# --- scalars -----------------------------------------------------------------------------


def _string(v):
    if type(v) is str:
        return v
    raise BadValue(f"expected a string, got {type(v).__name__}")


# Integer members are at most 64-bit in every AWS service; a larger number (a CBOR bignum of
# thousands of digits, 1e300 in JSON) is refused here, like the services' own deserializers
# do, rather than reaching validation and providers as an unprintable Python int.
_INT_LOW, _INT_HIGH = -(2**63), 2**63 - 1
_BIG_INTEGER_BITS = 4096


def _out_of_range(v) -> BadValue:
    return BadValue(f"number with {v.bit_length()} bits is out of range")


def _integer(v):
    t = type(v)
    if t is float and v.is_integer():
        v, t = int(v), int
    if t is int:
        if _INT_LOW <= v <= _INT_HIGH:
            return v
        raise _out_of_range(v)
    raise BadValue(f"expected an integer, got {_brief(v)}")


def _big_integer(v):
    if type(v) is int and v.bit_length() > _BIG_INTEGER_BITS:
        raise _out_of_range(v)
    if type(v) is float and v.is_integer():
        return int(v)
    if type(v) is int:
        return v
    raise BadValue(f"expected an integer, got {_brief(v)}")


_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float(v):
    t = type(v)
    if t is float:
        return v
    if t is int:
        if v.bit_length() > 1024:  # beyond any double: float(v) would overflow downstream
            raise _out_of_range(v)
        return v
    if t is str and v in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[v]
    raise BadValue(f"expected a number, got {_brief(v)}")


def _brief(v) -> str:
    """repr(v) cut short; a huge int cannot even be repr()'d (Python's 4300-digit limit)."""
    if type(v) is int and v.bit_length() > 256:
        return f"an integer of {v.bit_length()} bits"
    return repr(v)[:200]


def _boolean(v):
    if type(v) is bool:
        return v
    raise BadValue(f"expected a boolean, got {_brief(v)}")


def _json_timestamp(v):
    return any_to_timestamp(v)


def _json_blob(v):
    return b64_to_bytes(v)


def _cbor_blob(v):
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray or t is memoryview:
        return bytes(v)
    raise BadValue(f"expected a byte string, got {type(v).__name__}")


def _cbor_timestamp(v):
    if type(v) is not str:
        return any_to_timestamp(v)
    raise BadValue("expected an epoch timestamp, got a string")


def _document(v):
    return v


_SCALARS = {
    "string": _string,
    "character": _string,
    "integer": _integer,
    "long": _integer,
    "short": _integer,
    "byte": _integer,
    "bigInteger": _big_integer,
    "float": _float,
    "double": _float,
    "bigDecimal": _float,
    "boolean": _boolean,
}


# --- compilation -------------------------------------------------------------------------


def compile_converter(shape, binary: bool = False, members=None):
    """A function doc -> input value for shape (a JSON document, or CBOR when binary).

    members, for a structure, limits the converter to those member names (the body part
    of a REST input).
    """
    return _compile(shape, binary, {}, {}, members)


def _compile(shape, binary, memo, building, only=None):
    kind = shape.type_name
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "timestamp":
        return _cbor_timestamp if binary else _json_timestamp
    if kind == "blob":
        return _cbor_blob if binary else _json_blob
    if kind == "structure" and getattr(shape, "is_document_type", False):
        return _document
    if kind not in ("structure", "list", "map"):
        return _document
    if only is not None:  # a REST body's members: a converter of its own, never shared
        return _container(shape, kind, binary, memo, building, only)
    return compile_shared(
        (shape.name, kind), memo, building, lambda: _container(shape, kind, binary, memo, building)
    )


def _container(shape, kind, binary, memo, building, only=None):
    if kind == "structure":
        return _structure(shape, binary, memo, building, only)
    if kind == "list":
        return _list(_compile(shape.member, binary, memo, building))
    return _map(_compile(shape.value, binary, memo, building))


def _structure(shape, binary, memo, building, only):
    table = {}
    for name, member in shape.members.items():
        if only is not None and name not in only:
            continue
        wire = member.serialization.get("name", name)
        table[wire] = (name, _compile(member, binary, memo, building))
    get = table.get
    undefined = UNDEFINED

    def convert(v):
        if type(v) is not dict:
            raise BadValue(f"expected an object, got {type(v).__name__}")
        out = {}
        for k, x in v.items():
            entry = get(k)
            if entry is None or x is None or x is undefined:
                continue
            name, conv = entry
            try:
                out[name] = conv(x)
            except BadValue as exc:
                raise record_path(exc, name)
        return out

    return convert


def _list(item):
    undefined = UNDEFINED
    if item is _string:

        def convert(v):
            if type(v) is not list:
                raise BadValue(f"expected a list, got {type(v).__name__}")
            for x in v:
                if type(x) is not str:
                    break
            else:
                return v  # the common list of strings: no copy
            return [_string(x) for x in v if x is not None and x is not undefined]

        return convert

    def convert(v):
        if type(v) is not list:
            raise BadValue(f"expected a list, got {type(v).__name__}")
        out = []
        for i, x in enumerate(v):
            if x is None or x is undefined:
                continue
            try:
                out.append(item(x))
            except BadValue as exc:
                raise record_path(exc, i)
        return out

    return convert


def _map(value):
    undefined = UNDEFINED

    def convert(v):
        if type(v) is not dict:
            raise BadValue(f"expected a map, got {type(v).__name__}")
        out = {}
        for k, x in v.items():
            if x is None or x is undefined:
                continue
            if type(k) is not str:
                raise BadValue(f"map keys must be strings, got {_brief(k)}")
            try:
                out[k] = value(x)
            except BadValue as exc:
                raise record_path(exc, k)
        return out

    return convert
