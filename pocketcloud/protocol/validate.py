"""Input validation against the model, as AWS services do before an operation runs.

Checks required members, types, and the model's min/max bounds (string, blob, list and map
lengths, number ranges). Messages follow AWS's own wording ("1 validation error detected: Value
null at 'userName' failed to satisfy constraint: Member must not be null"). Enum values and
patterns are not enforced here: models carry Java regexes and enum lists that lag the services.
"""

from __future__ import annotations

import math
from datetime import date, datetime

MISSING = "missing"
INVALID = "invalid"

_INT_TYPES = ("integer", "long", "short", "byte", "bigInteger")
_FLOAT_TYPES = ("float", "double", "bigDecimal")


class Violations:
    def __init__(self):
        self.items: list[tuple[str, str]] = []  # (kind, AWS-style sentence)
        self.first_missing: str | None = None  # the first missing member, as the model names it

    def add(self, kind: str, sentence: str) -> None:
        self.items.append((kind, sentence))

    @property
    def first_kind(self) -> str:
        return self.items[0][0]

    def message(self) -> str:
        n = len(self.items)
        head = f"{n} validation error{'s' if n > 1 else ''} detected: "
        return head + "; ".join(sentence for _, sentence in self.items[:10])


def _path(parent: str, member: str) -> str:
    name = member[:1].lower() + member[1:]
    return f"{parent}.{name}" if parent else name


def _show(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 64 else text[:61] + "..."


def validate(params, shape) -> Violations | None:
    """Violations of `shape` by `params`, or None when the input is valid."""
    found = Violations()
    _check(params, shape, "", found)
    return found if found.items else None


def _bounds(value_len, shape, where: str, found: Violations, what: str, shown) -> None:
    meta = shape.metadata
    low = meta.get("min")
    if low is None and shape.serialization.get("hostLabel"):
        low = 1
    if low is not None and value_len < low:
        found.add(INVALID, f"Value {shown} at '{where}' failed to satisfy constraint: "
                           f"Member must have {what} greater than or equal to {low}")
    high = meta.get("max")
    if high is not None and value_len > high:
        found.add(INVALID, f"Value {shown} at '{where}' failed to satisfy constraint: "
                           f"Member must have {what} less than or equal to {high}")


def _wrong_type(value, kind: str, where: str, found: Violations) -> None:
    found.add(INVALID, f"Value {_show(value)} at '{where}' failed to satisfy constraint: "
                       f"Member must be of type {kind}")


def _check(value, shape, where: str, found: Violations) -> None:
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return
        if not isinstance(value, dict):
            _wrong_type(value, "structure", where or "input", found)
            return
        members = shape.members
        if shape.metadata.get("union") and len(value) != 1:
            found.add(INVALID, f"Value at '{where or 'input'}' failed to satisfy constraint: "
                               "Member must have exactly one member set")
        for name in shape.metadata.get("required", ()):
            if name not in value:
                found.first_missing = found.first_missing or name
                found.add(MISSING, f"Value null at '{_path(where, name)}' failed to satisfy constraint: "
                                   "Member must not be null")
        for name, item in value.items():
            member = members.get(name)
            if member is None:
                found.add(INVALID, f"Unknown member '{_path(where, name)}'")
            elif item is not None:
                _check(item, member, _path(where, name), found)
    elif kind == "string":
        if shape.serialization.get("jsonvalue"):
            return
        if not isinstance(value, str):
            _wrong_type(value, "string", where, found)
            return
        _bounds(len(value), shape, where, found, "length", f"'{_show(value)}'")
    elif kind == "list":
        if not isinstance(value, (list, tuple)):
            _wrong_type(value, "list", where, found)
            return
        _bounds(len(value), shape, where, found, "length", _show(value))
        member = shape.member
        for i, item in enumerate(value):
            _check(item, member, f"{where}.{i + 1}", found)
    elif kind == "map":
        if not isinstance(value, dict):
            _wrong_type(value, "map", where, found)
            return
        _bounds(len(value), shape, where, found, "length", _show(value))
        key_shape, value_shape = shape.key, shape.value
        for key, item in value.items():
            _check(key, key_shape, f"{where}.{key}", found)
            _check(item, value_shape, f"{where}.{key}", found)
    elif kind in _INT_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            _wrong_type(value, kind, where, found)
            return
        _bounds(value, shape, where, found, "value", value)
    elif kind in _FLOAT_TYPES:
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or type(value).__name__ == "Decimal"):
            _wrong_type(value, kind, where, found)
            return
        if not math.isnan(value):
            _bounds(value, shape, where, found, "value", value)
    elif kind == "boolean":
        if not isinstance(value, bool):
            _wrong_type(value, "boolean", where, found)
    elif kind == "blob":
        if isinstance(value, (bytes, bytearray)):
            _bounds(len(value), shape, where, found, "length", "(blob)")
        elif not (isinstance(value, str) or hasattr(value, "read")):
            _wrong_type(value, "blob", where, found)
    elif kind == "timestamp":
        if not isinstance(value, (datetime, date, str, int, float)) or isinstance(value, bool):
            _wrong_type(value, "timestamp", where, found)
