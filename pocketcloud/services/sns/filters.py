"""Subscription filter policies: validation with AWS's limits and matching against message
attributes or the message body.

A policy maps keys to lists of conditions (OR within a list, AND across keys); `$or` takes a list
of sub-policies; in the MessageBody scope a key may hold a nested policy for a nested object.
Conditions: exact strings, numbers and null; prefix, suffix, equals-ignore-case, anything-but
(values, lists, or a prefix/suffix/equals-ignore-case), numeric comparisons and ranges, exists,
and cidr (IPv4/IPv6 addresses).
"""

from __future__ import annotations

import ipaddress
import json
from math import prod

from .common import invalid

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024
_NUMERIC_LIMIT = 1_000_000_000
_LOWER_OPS = (">", ">=")
_UPPER_OPS = ("<", "<=")
_ABSENT = object()


def _error(reason: str):
    return invalid(f"Invalid parameter: FilterPolicy: {reason}")


# -- validation ------------------------------------------------------------------------------------
def parse_policy(text: str, scope: str) -> dict:
    """The policy as a dict, or InvalidParameter naming what is wrong."""
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise _error("Filter policy is too large")
    try:
        policy = json.loads(text)
    except (ValueError, RecursionError):
        raise _error("failed to parse JSON.") from None
    if not isinstance(policy, dict):
        raise _error("Filter policy must be a JSON object")
    branches = _check_policy(policy, scope, depth=0)
    for keys in branches:
        if len(keys) > MAX_KEYS:
            raise _error(f"Filter policy can not have more than {MAX_KEYS} keys")
    if sum(prod(keys.values()) for keys in branches) > MAX_COMBINATIONS:
        raise _error("Filter policy is too complex")
    return policy


def _check_policy(policy: dict, scope: str, depth: int, path: str = "") -> list[dict[str, int]]:
    """Validate one (sub-)policy; return its OR-branches, each {leaf key path: number of values}."""
    if depth > 32:
        raise _error("Filter policy is nested too deeply")
    branches: list[dict[str, int]] = [{}]
    for key, value in policy.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) and v for v in value):
                raise _error("$or must be an array of at least two non-empty policies")
            alternatives = [b for sub in value for b in _check_policy(sub, scope, depth + 1, path)]
            branches = [{**a, **b} for a in branches for b in alternatives]
            continue
        full = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            if scope != "MessageBody":
                raise _error("Filter policy scope MessageAttributes does not support nested filter policy")
            if not value:
                raise _error(f"Empty nested policy for key {full}")
            nested = _check_policy(value, scope, depth + 1, full)
            branches = [{**a, **b} for a in branches for b in nested]
            continue
        if not isinstance(value, list) or not value:
            raise _error(f"\"{full}\" must be an array of match values")
        for condition in value:
            _check_condition(condition, scope, full)
        for branch in branches:
            branch[full] = len(value)
    return branches


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_condition(condition, scope: str, key: str) -> None:
    if isinstance(condition, str) or _is_number(condition):
        if _is_number(condition) and abs(condition) > _NUMERIC_LIMIT:
            raise _error(f"Numeric values must be within -1.0E9 and 1.0E9 ({key})")
        return
    if condition is None or isinstance(condition, bool):
        if scope == "MessageBody":
            return
        raise _error(f"Match value must be String, number, true, false, or null ({key})")
    if not isinstance(condition, dict) or len(condition) != 1:
        raise _error(f"Match value must be String, number, true, false, or null ({key})")
    (kind, operand), = condition.items()
    if kind in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(operand, str) or (kind != "equals-ignore-case" and not operand):
            raise _error(f"{kind} match pattern must be a string ({key})")
    elif kind == "anything-but":
        _check_anything_but(operand, key)
    elif kind == "numeric":
        _check_numeric(operand, key)
    elif kind == "exists":
        if not isinstance(operand, bool):
            raise _error(f"exists match pattern must be either true or false. ({key})")
    elif kind == "cidr":
        if not isinstance(operand, str) or "/" not in operand:
            raise _error(f"Malformed CIDR, one '/' required ({key})")
        try:
            ipaddress.ip_network(operand, strict=False)
        except ValueError:
            raise _error(f"Nonstandard IP address: {operand} ({key})") from None
    else:
        raise _error(f"Unrecognized match type {kind}")


def _check_anything_but(operand, key: str) -> None:
    if isinstance(operand, dict):
        if len(operand) != 1 or next(iter(operand)) not in ("prefix", "suffix", "equals-ignore-case"):
            raise _error(f"Unsupported anything-but pattern ({key})")
        inner = next(iter(operand.values()))
        values = inner if isinstance(inner, list) else [inner]
        if not values or not all(isinstance(v, str) and v for v in values):
            raise _error(f"anything-but pattern values must be non-empty strings ({key})")
        return
    values = operand if isinstance(operand, list) else [operand]
    if not values or not all(isinstance(v, str) or _is_number(v) for v in values):
        raise _error(f"anything-but list must contain only strings or numbers ({key})")


def _check_numeric(operand, key: str) -> None:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise _error(f"Value of numeric must be an array of one or two comparisons ({key})")
    ops, values = operand[0::2], operand[1::2]
    for op, value in zip(ops, values):
        if op not in ("=", *_LOWER_OPS, *_UPPER_OPS):
            raise _error(f"Unrecognized numeric range operator: {op} ({key})")
        if not _is_number(value):
            raise _error(f"Value of {op} must be numeric ({key})")
        if abs(value) > _NUMERIC_LIMIT:
            raise _error(f"Numeric values must be within -1.0E9 and 1.0E9 ({key})")
    if len(ops) == 2:
        if ops[0] not in _LOWER_OPS or ops[1] not in _UPPER_OPS:
            raise _error(f"Bad numeric range operator ({key})")
        if values[0] >= values[1]:
            raise _error(f"Bottom must be less than top ({key})")


# -- matching --------------------------------------------------------------------------------------
def attribute_values(attributes: dict) -> dict:
    """Message attributes as the values a policy sees: strings, numbers, or the elements of a
    String.Array. Binary attributes are not matched against (AWS ignores them)."""
    values = {}
    for name, attr in (attributes or {}).items():
        kind = attr.get("DataType", "")
        text = attr.get("StringValue")
        if kind.startswith("Binary") or text is None:
            continue
        if kind.startswith("Number"):
            try:
                values[name] = float(text)
            except ValueError:
                continue
        elif kind == "String.Array":
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            values[name] = parsed
        else:
            values[name] = text
    return values


def matches(policy: dict, scope: str, attributes: dict, message: str) -> bool:
    if not policy:
        return True
    if scope == "MessageBody":
        try:
            document = json.loads(message)
        except (ValueError, RecursionError):
            return False
        if not isinstance(document, dict):
            return False
        return _match_policy(policy, document)
    return _match_policy(policy, attribute_values(attributes))


def _match_policy(policy: dict, document: dict) -> bool:
    for key, conditions in policy.items():
        if key == "$or":
            if not any(_match_policy(sub, document) for sub in conditions):
                return False
            continue
        value = document.get(key, _ABSENT) if isinstance(document, dict) else _ABSENT
        if isinstance(conditions, dict):
            candidates = value if isinstance(value, list) else [value]
            if not any(isinstance(c, dict) and _match_policy(conditions, c) for c in candidates):
                return False
            continue
        if not _match_key(conditions, value):
            return False
    return True


def _match_key(conditions: list, value) -> bool:
    candidates = [] if value is _ABSENT else (value if isinstance(value, list) else [value])
    for condition in conditions:
        if isinstance(condition, dict) and "exists" in condition:
            if condition["exists"] == (value is not _ABSENT):
                return True
            continue
        if any(_match_value(condition, c) for c in candidates):
            return True
    return False


def _same(condition, candidate) -> bool:
    if _is_number(condition):
        return _is_number(candidate) and float(candidate) == float(condition)
    if isinstance(condition, bool) or condition is None:
        return candidate is condition
    return isinstance(candidate, str) and candidate == condition


def _match_value(condition, candidate) -> bool:
    if not isinstance(condition, dict):
        return _same(condition, candidate)
    (kind, operand), = condition.items()
    text = candidate if isinstance(candidate, str) else None
    if kind == "prefix":
        return text is not None and text.startswith(operand)
    if kind == "suffix":
        return text is not None and text.endswith(operand)
    if kind == "equals-ignore-case":
        return text is not None and text.casefold() == operand.casefold()
    if kind == "numeric":
        return _is_number(candidate) and _in_range(operand, float(candidate))
    if kind == "cidr":
        return text is not None and _in_network(operand, text)
    if kind == "anything-but":
        return _anything_but(operand, candidate)
    return False


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
