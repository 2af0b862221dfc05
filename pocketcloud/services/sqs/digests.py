"""The MD5 digests SQS returns and SDKs verify (boto3 checks every one it can).

Message attributes are digested in AWS's binary encoding: for each attribute, sorted by name,
the UTF-8 name, the UTF-8 data type, a transport byte (1 for String/Number, 2 for Binary), and the
value, every variable-length field preceded by its length as a 4-byte big-endian integer.
"""

from __future__ import annotations

import hashlib
import struct

_STRING, _BINARY = b"\x01", b"\x02"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def attributes_md5(attributes: dict) -> str:
    """MD5OfMessageAttributes / MD5OfMessageSystemAttributes of {name: {"DataType": ...,
    "StringValue" | "BinaryValue": ...}}."""
    parts = []
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        parts.append(_field(name.encode()))
        parts.append(_field(data_type.encode()))
        if data_type.startswith("Binary"):
            parts.append(_BINARY)
            parts.append(_field(bytes(value["BinaryValue"])))
        else:
            parts.append(_STRING)
            parts.append(_field(value["StringValue"].encode()))
    return md5_hex(b"".join(parts))
