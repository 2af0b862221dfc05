"""CBOR writing for smithy-rpc-v2-cbor, compiled once per shape.

Like the XML writers, each shape compiles into `write(out, value)` appending byte pieces to a
list. Member keys are encoded once at compile time, timestamps go out as tag 1 (epoch
seconds), blobs as byte strings. This is several times faster than building a dict and
handing it to a generic encoder (cbor2 takes microseconds per tagged timestamp), and the
output is plain RFC 8949 CBOR that cbor2, botocore and every Smithy SDK decode.
"""

from __future__ import annotations

import struct

from ._plans import PlanCache, body_members
from ._values import epoch_seconds, to_bytes

_pack_double = struct.Struct(">d").pack
_SMALL_HEADS = tuple(
    tuple(bytes((major << 5 | n,)) if n < 24 else bytes((major << 5 | 24, n)) for n in range(256))
    for major in range(8)
)
TRUE, FALSE, NULL = b"\xf5", b"\xf4", b"\xf6"
_TAG_EPOCH = b"\xc1"


def head(major: int, n: int) -> bytes:
    if n < 256:
        return _SMALL_HEADS[major][n]
    if n < 0x10000:
        return bytes((major << 5 | 25,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes((major << 5 | 26,)) + n.to_bytes(4, "big")
    return bytes((major << 5 | 27,)) + n.to_bytes(8, "big")


def text(value: str) -> bytes:
    data = value.encode("utf-8", "surrogatepass")
    return head(3, len(data)) + data


def write_str(out, value):
    if type(value) is not str:
        value = str(value)
    data = value.encode("utf-8", "surrogatepass")
    out.append(head(3, len(data)))
    out.append(data)


def write_int(out, value):
    if type(value) is not int:
        value = int(value)
    out.append(head(0, value) if value >= 0 else head(1, -1 - value))


def write_float(out, value):
    if type(value) is int and abs(value) < 2**53:
        write_int(out, value)  # an integral double is the same number either way
        return
    out.append(b"\xfb" + _pack_double(float(value)))


def write_bool(out, value):
    out.append(TRUE if value else FALSE)


def write_blob(out, value):
    data = to_bytes(value)
    out.append(head(2, len(data)))
    out.append(data)


def write_timestamp(out, value):
    seconds = epoch_seconds(value)
    out.append(_TAG_EPOCH)
    if type(seconds) is int:
        write_int(out, seconds)
    else:
        out.append(b"\xfb" + _pack_double(seconds))


def write_any(out, value):
    """Documents and unmodelled values: plain JSON-like data."""
    if value is None:
        out.append(NULL)
    elif value is True or value is False:
        out.append(TRUE if value else FALSE)
    elif type(value) is int:
        write_int(out, value)
    elif type(value) is float:
        out.append(b"\xfb" + _pack_double(value))
    elif isinstance(value, str):
        write_str(out, value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        write_blob(out, value)
    elif isinstance(value, dict):
        out.append(head(5, len(value)))
        for k, v in value.items():
            write_str(out, k)
            write_any(out, v)
    elif isinstance(value, (list, tuple)):
        out.append(head(4, len(value)))
        for v in value:
            write_any(out, v)
    else:
        write_str(out, str(value))


class StructPlan:
    __slots__ = ("members",)

    def __init__(self):
        self.members: dict[str, tuple] = {}  # member name -> (encoded key, write)

    def write(self, out: list, value: dict) -> None:
        at = len(out)
        out.append(b"")
        count = 0
        members = self.members
        for name, item in value.items():
            if item is None:
                continue
            member = members.get(name)
            if member is not None:
                out.append(member[0])
                member[1](out, item)
                count += 1
        out[at] = head(5, count)


def _fill(plan: StructPlan, shape) -> None:
    for name, member in body_members(shape):
        plan.members[name] = (text(name), writer(member))


struct_plan = PlanCache(StructPlan, _fill).plan


def writer(shape):
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return write_any
        return struct_plan(shape).write
    if kind == "list":
        write_item = writer(shape.member)

        def write_list(out, value):
            if type(value) is not list and type(value) is not tuple:
                value = list(value)
            out.append(head(4, len(value)))
            for item in value:
                if item is None:
                    out.append(NULL)
                else:
                    write_item(out, item)

        return write_list
    if kind == "map":
        write_value = writer(shape.value)

        def write_map(out, value):
            at = len(out)
            out.append(b"")
            count = 0
            for key, item in value.items():
                if item is None:
                    continue
                write_str(out, key)
                write_value(out, item)
                count += 1
            out[at] = head(5, count)

        return write_map
    if kind in ("string", "character"):
        return write_str
    if kind in ("integer", "long", "short", "byte", "bigInteger"):
        return write_int
    if kind in ("float", "double", "bigDecimal"):
        return write_float
    if kind == "boolean":
        return write_bool
    if kind == "timestamp":
        return write_timestamp
    if kind == "blob":
        return write_blob
    return write_any


def encode_struct(shape, value: dict) -> bytes:
    out: list = []
    struct_plan(shape).write(out, value)
    return b"".join(out)

