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
    """Violations of `shape` by `params`, or None when the input is valid.

    Almost every request is valid, so a yes/no check compiled per shape runs first; only a
    request it refuses is walked again by _check, which words each violation."""
    if _valid_fn(shape)(params):
        return None
    found = Violations()
    _check(params, shape, "", found)
    return found if found.items else None


# -- the yes/no check, compiled once per shape ----------------------------------------------
# Each shape gets a predicate that accepts exactly what _check accepts without a violation.
# Keyed by id(): botocore's shapes are cached on their models and live as long as the server.

_compiled: dict[int, tuple] = {}


def _valid_fn(shape):
    entry = _compiled.get(id(shape))
    if entry is None:
        holder: list = []
        # A recursive shape refers to itself: callers compiled meanwhile go through holder.
        _compiled[id(shape)] = (shape, lambda value: holder[0](value))
        holder.append(_compile(shape))
        entry = _compiled[id(shape)] = (shape, holder[0])
    return entry[1]


# The yes/no predicate of a shape, for callers that keep it (the gateway, per operation).
valid_fn = _valid_fn


def valid_fn_typed(shape, typed: frozenset):
    """valid_fn of an operation's input whose `typed` members its parser has already converted
    to their types (REST labels, query keys and headers): of those, only the members with a
    bound (a length, a range) are checked again, with the required members and the rest."""
    required = frozenset(shape.metadata.get("required", ()))
    checks = tuple((name, _valid_fn(member)) for name, member in shape.members.items()
                   if name not in typed or not _holds_when_typed(member))
    if not checks:  # S3's object operations: their one bound is a label's (see _holds_when_typed)
        if not required:
            return accept_all

        def has_required(value):
            return value.keys() >= required

        return has_required

    def valid_input(value):
        if not value.keys() >= required:
            return False
        for name, check in checks:
            item = value.get(name)
            if item is not None and not check(item):
                return False
        return True

    return valid_input


def accept_all(value) -> bool:
    """The check of an input nothing can make invalid."""
    return True


def _holds_when_typed(shape) -> bool:
    """Whether any value of the shape's type passes its check (no bound to keep)."""
    kind = shape.type_name
    if kind == "string" and shape.serialization.get("location") == "uri":
        # A URI label is never empty (each label's pattern takes one character or more, and a
        # percent-escape decodes to one): a minimum length of 1 holds, as for S3's Key.
        low, high = _limits(shape)
        return (low is None or low <= 1) and high is None
    if kind in ("list", "map"):
        parts = (shape.member,) if kind == "list" else (shape.key, shape.value)
        return _limits(shape) == (None, None) and all(_holds_when_typed(part) for part in parts)
    if kind in ("string", "blob", "boolean", "timestamp") or kind in _INT_TYPES:
        return _limits(shape) == (None, None)
    return False


def _limits(shape):
    """(min, max) of a shape's value or length; a host label is at least 1 long."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is None and shape.serialization.get("hostLabel"):
        low = 1
    return low, high


def _in_limits(low, high):
    if low is None and high is None:
        return lambda n: True
    if high is None:
        return lambda n: n >= low
    if low is None:
        return lambda n: n <= high
    return lambda n: low <= n <= high


def _compile(shape):
    kind = shape.type_name
    if kind == "structure":
        return _compile_structure(shape)
    fits = _in_limits(*_limits(shape))
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            return lambda value: True
        if _limits(shape) == (None, None):
            return lambda value: isinstance(value, str)
        return lambda value: isinstance(value, str) and fits(len(value))
    if kind == "list":
        member = shape.member

        def valid_list(value):
            if not isinstance(value, (list, tuple)) or not fits(len(value)):
                return False
            check = _valid_fn(member)
            return all(check(item) for item in value)

        return valid_list
    if kind == "map":
        key_shape, value_shape = shape.key, shape.value

        def valid_map(value):
            if not isinstance(value, dict) or not fits(len(value)):
                return False
            check_key, check_value = _valid_fn(key_shape), _valid_fn(value_shape)
            return all(check_key(k) and check_value(v) for k, v in value.items())

        return valid_map
    if kind in _INT_TYPES:
        return lambda value: type(value) is not bool and isinstance(value, int) and fits(value)
    if kind in _FLOAT_TYPES:
        def valid_number(value):
            if isinstance(value, bool) or not (isinstance(value, (int, float)) or type(value).__name__ == "Decimal"):
                return False
            return math.isnan(value) or fits(value)

        return valid_number
    if kind == "boolean":
        return lambda value: isinstance(value, bool)
    if kind == "blob":
        return lambda value: fits(len(value)) if isinstance(value, (bytes, bytearray)) else (
            isinstance(value, str) or hasattr(value, "read"))
    if kind == "timestamp":
        return lambda value: isinstance(value, (datetime, date, str, int, float)) and not isinstance(value, bool)
    return lambda value: True


def _compile_structure(shape):
    if shape.metadata.get("document"):
        return lambda value: True
    members = shape.members
    required = tuple(shape.metadata.get("required", ()))
    union = bool(shape.metadata.get("union"))

    checks: dict = {}  # member name -> its predicate, filled on first sight (shapes may recurse)

    def valid_structure(value):
        if not isinstance(value, dict):
            return False
        if union and len(value) != 1:
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            check = checks.get(name)
            if check is None:
                member = members.get(name)
                if member is None:
                    return False
                check = checks[name] = _valid_fn(member)
            if item is not None and not check(item):
                return False
        return True

    return valid_structure


def _bounds(value_len, shape, where: str, found: Violations, what: str, shown) -> None:
    low, high = _limits(shape)
    if low is not None and value_len < low:
        found.add(INVALID, f"Value {shown} at '{where}' failed to satisfy constraint: "
                           f"Member must have {what} greater than or equal to {low}")
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
