"""Provider dict -> JSON-ready value for the JSON protocols, compiled once per shape.

A converter is a function value -> wire value, or None when the value goes out unchanged
(strings, integers, booleans, documents), which keeps the common case free of calls.
Structures compile into a member table (member name -> (wire key, converter)); members the
shape does not know and None values are dropped. Wire keys are locationNames, timestamps
epoch seconds unless the member's timestampFormat says otherwise, blobs base64, non-finite
doubles the strings "NaN"/"Infinity"/"-Infinity". Plans live in a PlanCache (see _plans).
"""

from __future__ import annotations

import json
from base64 import b64encode

from ._plans import PlanCache, body_members
from ._values import epoch_seconds, http_date, iso8601, json_float, to_bytes


class StructPlan:
    __slots__ = ("members",)

    def __init__(self):
        self.members: dict[str, tuple] = {}  # member name -> (wire key, converter or None)

    def convert(self, value: dict) -> dict:
        out = {}
        members = self.members
        for name, item in value.items():
            if item is None:
                continue
            member = members.get(name)
            if member is not None:
                conv = member[1]
                out[member[0]] = item if conv is None else conv(item)
        return out


def _timestamp_converter(fmt):
    if fmt == "iso8601":
        return iso8601
    if fmt == "rfc822":
        return http_date
    return epoch_seconds  # the JSON protocols' default


def _base64(value) -> str:
    return b64encode(to_bytes(value)).decode("ascii")


def _fill(plan: StructPlan, shape) -> None:
    for name, member in body_members(shape):
        plan.members[name] = (member.serialization.get("name", name), converter(member))


struct_plan = PlanCache(StructPlan, _fill).plan


def _as_list(value):
    return value if type(value) is list else list(value)


def converter(shape):
    """value -> wire value for `shape`, or None when the value needs no change."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return None
        return struct_plan(shape).convert
    if kind == "list":
        item = converter(shape.member)
        if item is None:
            return _as_list

        def convert_list(value):
            return [None if x is None else item(x) for x in value]

        return convert_list
    if kind == "map":
        item = converter(shape.value)

        def convert_map(value):
            if item is None:
                return {k: x for k, x in value.items() if x is not None}
            return {k: item(x) for k, x in value.items() if x is not None}

        return convert_map
    if kind == "timestamp":
        return _timestamp_converter(shape.serialization.get("timestampFormat"))
    if kind == "blob":
        return _base64
    if kind in ("float", "double"):
        return json_float
    return None


def event_payload(shape, value, _root_name) -> bytes:
    """One event's JSON payload (an _eventstream.EventEncoder payload function)."""
    return dumps(struct_plan(shape).convert(value))


def _not_serializable(value):
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# JSONEncoder.encode builds a fresh C encoder on every call, which costs more than encoding a
# small response; this one is built once. ASCII output (\u escapes) keeps lone surrogates
# representable. No circular-reference check: provider results are trees.
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_encoder is not None:
    _encode = _c_encoder(
        None, _not_serializable, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )

    def dumps(value) -> bytes:
        return "".join(_encode(value, 0)).encode("ascii")

else:  # pragma: no cover - interpreters without the C accelerator
    _encoder = json.JSONEncoder(separators=(",", ":"))

    def dumps(value) -> bytes:
        return _encoder.encode(value).encode("ascii")
