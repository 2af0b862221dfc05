"""The one JSON pattern language AWS uses for SNS subscription filter policies and EventBridge
event patterns: validation and matching.

A pattern maps keys to lists of conditions (OR within a list, AND across keys); a key may hold a
nested pattern for a nested object; `$or` takes a list of sub-patterns. Conditions: exact
strings, numbers, null and booleans; prefix, suffix, equals-ignore-case, anything-but (values,
lists, or a prefix/suffix/equals-ignore-case/wildcard), numeric comparisons and ranges, exists,
cidr (IPv4/IPv6) and, in EventBridge, wildcard and prefix/suffix ignoring case. An event field
holding an array matches when any of its elements does.

The two services differ only in what they accept, which a Dialect says: SNS's attribute scope
is flat and has no null/boolean values, SNS limits numbers to +-1e9 and EventBridge to +-5e9,
only EventBridge knows `wildcard`. Each service adds its own limits (SNS: 5 keys, 150
combinations, read from the branches `check` returns) and wraps PatternError in its own error.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache


class PatternError(ValueError):
    """What is wrong with a pattern, in words; each service wraps it in its own error."""


@dataclass(frozen=True)
class Dialect:
    nested: bool                 # a key may hold a nested pattern
    null_and_bool: bool          # null/true/false as exact values
    numeric_limit: float
    wildcard: bool = False       # {"wildcard": "a*b"}, also inside anything-but
    ignore_case_affixes: bool = False  # {"prefix": {"equals-ignore-case": "x"}}
    exists_on_leaves: bool = False     # {"exists": true} does not match an object


SNS_ATTRIBUTES = Dialect(nested=False, null_and_bool=False, numeric_limit=1e9)
SNS_BODY = Dialect(nested=True, null_and_bool=True, numeric_limit=1e9)
EVENTBRIDGE = Dialect(nested=True, null_and_bool=True, numeric_limit=5e9, wildcard=True,
                      ignore_case_affixes=True, exists_on_leaves=True)

_LOWER_OPS = (">", ">=")
_UPPER_OPS = ("<", "<=")
_ABSENT = object()
MAX_DEPTH = 32


# -- validation ------------------------------------------------------------------------------------
def check(pattern: dict, dialect: Dialect) -> list[dict[str, int]]:
    """Validate a pattern (raise PatternError); return its OR-branches, each {leaf key path:
    number of values}, from which a service computes its complexity limits."""
    if not isinstance(pattern, dict):
        raise PatternError("Filter is not an object")
    return _check_pattern(pattern, dialect, 0, "")


def _check_pattern(pattern: dict, dialect: Dialect, depth: int, path: str) -> list[dict[str, int]]:
    if depth > MAX_DEPTH:
        raise PatternError("Filter policy is nested too deeply")
    branches: list[dict[str, int]] = [{}]
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) and v for v in value):
                raise PatternError("$or must be an array of at least two non-empty policies")
            alternatives = [b for sub in value for b in _check_pattern(sub, dialect, depth + 1, path)]
            branches = [{**a, **b} for a in branches for b in alternatives]
            continue
        full = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            if not dialect.nested:
                raise PatternError("Filter policy scope MessageAttributes does not support nested filter policy")
            if not value:
                raise PatternError(f"Empty nested policy for key {full}")
            nested = _check_pattern(value, dialect, depth + 1, full)
            branches = [{**a, **b} for a in branches for b in nested]
            continue
        if not isinstance(value, list) or not value:
            raise PatternError(f"\"{full}\" must be an array of match values")
        for condition in value:
            _check_condition(condition, dialect, full)
        for branch in branches:
            branch[full] = len(value)
    return branches


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_number(value, dialect: Dialect, key: str) -> None:
    if abs(value) > dialect.numeric_limit:
        raise PatternError(f"Numeric values must be within -{dialect.numeric_limit:.1E} and "
                           f"{dialect.numeric_limit:.1E} ({key})".replace("E+0", "E"))


def _check_condition(condition, dialect: Dialect, key: str) -> None:
    if isinstance(condition, str):
        return
    if is_number(condition):
        _check_number(condition, dialect, key)
        return
    if condition is None or isinstance(condition, bool):
        if dialect.null_and_bool:
            return
        raise PatternError(f"Match value must be String, number, true, false, or null ({key})")
    if not isinstance(condition, dict) or len(condition) != 1:
        raise PatternError(f"Match value must be String, number, true, false, or null ({key})")
    (kind, operand), = condition.items()
    if kind in ("prefix", "suffix"):
        if dialect.ignore_case_affixes and isinstance(operand, dict):
            if list(operand) != ["equals-ignore-case"] or not isinstance(operand["equals-ignore-case"], str):
                raise PatternError(f"{kind} match pattern must be a string or equals-ignore-case ({key})")
            return
        if not isinstance(operand, str) or not operand:
            raise PatternError(f"{kind} match pattern must be a string ({key})")
    elif kind == "equals-ignore-case":
        if not isinstance(operand, str):
            raise PatternError(f"equals-ignore-case match pattern must be a string ({key})")
    elif kind == "wildcard" and dialect.wildcard:
        _check_wildcard(operand, key)
    elif kind == "anything-but":
        _check_anything_but(operand, dialect, key)
    elif kind == "numeric":
        _check_numeric(operand, dialect, key)
    elif kind == "exists":
        if not isinstance(operand, bool):
            raise PatternError(f"exists match pattern must be either true or false. ({key})")
    elif kind == "cidr":
        if not isinstance(operand, str) or "/" not in operand:
            raise PatternError(f"Malformed CIDR, one '/' required ({key})")
        try:
            ipaddress.ip_network(operand, strict=False)
        except ValueError:
            raise PatternError(f"Nonstandard IP address: {operand} ({key})") from None
    else:
        raise PatternError(f"Unrecognized match type {kind}")


def _check_wildcard(operand, key: str) -> None:
    if not isinstance(operand, str):
        raise PatternError(f"wildcard match pattern must be a string ({key})")
    if "**" in operand.replace("\\*", ""):
        raise PatternError(f"Consecutive wildcard characters at pos {operand.index('**') + 1} ({key})")


def _check_anything_but(operand, dialect: Dialect, key: str) -> None:
    if isinstance(operand, dict):
        kinds = ("prefix", "suffix", "equals-ignore-case") + (("wildcard",) if dialect.wildcard else ())
        if len(operand) != 1 or next(iter(operand)) not in kinds:
            raise PatternError(f"Unsupported anything-but pattern ({key})")
        kind, inner = next(iter(operand.items()))
        values = inner if isinstance(inner, list) else [inner]
        if not values or not all(isinstance(v, str) and (v or kind == "equals-ignore-case") for v in values):
            raise PatternError(f"anything-but pattern values must be non-empty strings ({key})")
        if kind == "wildcard":
            for value in values:
                _check_wildcard(value, key)
        return
    values = operand if isinstance(operand, list) else [operand]
    if not values or not all(isinstance(v, str) or is_number(v) for v in values):
        raise PatternError(f"anything-but list must contain only strings or numbers ({key})")


def _check_numeric(operand, dialect: Dialect, key: str) -> None:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise PatternError(f"Value of numeric must be an array of one or two comparisons ({key})")
    ops, values = operand[0::2], operand[1::2]
    for op, value in zip(ops, values):
        if op not in ("=", *_LOWER_OPS, *_UPPER_OPS):
            raise PatternError(f"Unrecognized numeric range operator: {op} ({key})")
        if not is_number(value):
            raise PatternError(f"Value of {op} must be numeric ({key})")
        _check_number(value, dialect, key)
    if len(ops) == 2:
        if ops[0] not in _LOWER_OPS or ops[1] not in _UPPER_OPS:
            raise PatternError(f"Bad numeric range operator ({key})")
        if values[0] >= values[1]:
            raise PatternError(f"Bottom must be less than top ({key})")


# -- matching --------------------------------------------------------------------------------------
def matches(pattern: dict, document: dict, dialect: Dialect) -> bool:
    """Whether a (validated) pattern matches a document (a JSON object)."""
    for key, conditions in pattern.items():
        if key == "$or":
            if not any(matches(sub, document, dialect) for sub in conditions):
                return False
            continue
        value = document.get(key, _ABSENT) if isinstance(document, dict) else _ABSENT
        if isinstance(conditions, dict):
            candidates = value if isinstance(value, list) else [value]
            if not any(isinstance(c, dict) and matches(conditions, c, dialect) for c in candidates):
                return False
            continue
        if not _match_key(conditions, value, dialect):
            return False
    return True


def _match_key(conditions: list, value, dialect: Dialect) -> bool:
    candidates = [] if value is _ABSENT else (value if isinstance(value, list) else [value])
    for condition in conditions:
        if isinstance(condition, dict) and "exists" in condition:
            present = value is not _ABSENT and not (dialect.exists_on_leaves and isinstance(value, dict))
            if condition["exists"] == present:
                return True
            continue
        if any(_match_value(condition, c) for c in candidates):
            return True
    return False


def _same(condition, candidate) -> bool:
    if is_number(condition):
        return is_number(candidate) and float(candidate) == float(condition)
    if isinstance(condition, bool) or condition is None:
        return candidate is condition
    return isinstance(candidate, str) and candidate == condition


def _affix(kind: str, operand, text: str) -> bool:
    if isinstance(operand, dict):  # {"equals-ignore-case": "x"}
        operand, text = operand["equals-ignore-case"].casefold(), text.casefold()
    return text.startswith(operand) if kind == "prefix" else text.endswith(operand)


def _match_value(condition, candidate) -> bool:
    if not isinstance(condition, dict):
        return _same(condition, candidate)
    (kind, operand), = condition.items()
    text = candidate if isinstance(candidate, str) else None
    if kind in ("prefix", "suffix"):
        return text is not None and _affix(kind, operand, text)
    if kind == "equals-ignore-case":
        return text is not None and text.casefold() == operand.casefold()
    if kind == "wildcard":
        return text is not None and _wildcard_regex(operand).fullmatch(text) is not None
    if kind == "numeric":
        return is_number(candidate) and _in_range(operand, float(candidate))
    if kind == "cidr":
        return text is not None and _in_network(operand, text)
    if kind == "anything-but":
        return _anything_but(operand, candidate)
    return False


@lru_cache(maxsize=1024)
def _wildcard_regex(pattern: str) -> re.Pattern:
    """`*` is any run of characters; `\\*` a literal star."""
    pieces = re.split(r"(\\\*|\*)", pattern)
    return re.compile("".join(".*" if p == "*" else re.escape("*") if p == "\\*" else re.escape(p)
                              for p in pieces), re.DOTALL)


def _anything_but(operand, candidate) -> bool:
    if isinstance(operand, dict):
        (kind, inner), = operand.items()
        if not isinstance(candidate, str):
            return True
        values = inner if isinstance(inner, list) else [inner]
        return not any(_match_value({kind: v}, candidate) for v in values)
    values = operand if isinstance(operand, list) else [operand]
    return not any(_same(v, candidate) for v in values)


def _in_range(operand: list, number: float) -> bool:
    for op, bound in zip(operand[0::2], operand[1::2]):
        bound = float(bound)
        if not {"=": number == bound, "<": number < bound, "<=": number <= bound,
                ">": number > bound, ">=": number >= bound}[op]:
            return False
    return True


def _in_network(cidr: str, text: str) -> bool:
    try:
        return ipaddress.ip_address(text) in ipaddress.ip_network(cidr, strict=False)
    except (ValueError, TypeError):
        return False
