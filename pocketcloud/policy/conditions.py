"""Condition operators: every one AWS documents, with ...IfExists, ForAllValues:/ForAnyValue:
and Null, evaluated against the request context (lower-cased key -> str or list of str)."""

from __future__ import annotations

import base64
import ipaddress
from datetime import datetime, timezone

from .matching import Unresolved, arn_matches, glob_match, substitute


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text):
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    text = str(text).strip()
    number = _number(text)
    if number is not None:
        return datetime.fromtimestamp(number, timezone.utc)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _compare(convert, test):
    def op(request_value, policy_value):
        a, b = convert(request_value), convert(policy_value)
        return a is not None and b is not None and test(a, b)
    return op


def _ip(request_value, policy_value):
    try:
        return ipaddress.ip_address(request_value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False


def _binary(request_value, policy_value):
    if isinstance(request_value, (bytes, bytearray)):
        request_value = base64.b64encode(request_value).decode()
    return request_value == policy_value


# base operator -> (test(request_value, policy_value), negated, substitutes variables)
_BASE = {
    "StringEquals": (lambda a, b: a == b, False, True),
    "StringNotEquals": (lambda a, b: a == b, True, True),
    "StringEqualsIgnoreCase": (lambda a, b: a.casefold() == b.casefold(), False, True),
    "StringNotEqualsIgnoreCase": (lambda a, b: a.casefold() == b.casefold(), True, True),
    "StringLike": (lambda a, b: glob_match(b, a), False, True),
    "StringNotLike": (lambda a, b: glob_match(b, a), True, True),
    "NumericEquals": (_compare(_number, lambda a, b: a == b), False, False),
    "NumericNotEquals": (_compare(_number, lambda a, b: a == b), True, False),
    "NumericLessThan": (_compare(_number, lambda a, b: a < b), False, False),
    "NumericLessThanEquals": (_compare(_number, lambda a, b: a <= b), False, False),
    "NumericGreaterThan": (_compare(_number, lambda a, b: a > b), False, False),
    "NumericGreaterThanEquals": (_compare(_number, lambda a, b: a >= b), False, False),
    "DateEquals": (_compare(_date, lambda a, b: a == b), False, False),
    "DateNotEquals": (_compare(_date, lambda a, b: a == b), True, False),
    "DateLessThan": (_compare(_date, lambda a, b: a < b), False, False),
    "DateLessThanEquals": (_compare(_date, lambda a, b: a <= b), False, False),
    "DateGreaterThan": (_compare(_date, lambda a, b: a > b), False, False),
    "DateGreaterThanEquals": (_compare(_date, lambda a, b: a >= b), False, False),
    "Bool": (lambda a, b: str(a).lower() == str(b).lower(), False, True),
    "BinaryEquals": (_binary, False, False),
    "IpAddress": (_ip, False, False),
    "NotIpAddress": (_ip, True, False),
    # ArnEquals and ArnLike both take wildcards, compared segment by segment.
    "ArnEquals": (lambda a, b: arn_matches(b, a), False, True),
    "ArnLike": (lambda a, b: arn_matches(b, a), False, True),
    "ArnNotEquals": (lambda a, b: arn_matches(b, a), True, True),
    "ArnNotLike": (lambda a, b: arn_matches(b, a), True, True),
}


def _split(operator: str) -> tuple[str | None, str, bool]:
    """'ForAnyValue:StringLikeIfExists' -> ('ForAnyValue', 'StringLike', True)."""
    quantifier = None
    if ":" in operator:
        quantifier, _, operator = operator.partition(":")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator[: -len("IfExists")]
    return quantifier, operator, if_exists


def known_operator(operator: str) -> bool:
    quantifier, base, if_exists = _split(operator)
    if quantifier not in (None, "ForAllValues", "ForAnyValue"):
        return False
    if base == "Null":
        return not if_exists and quantifier is None
    return base in _BASE


def _present(value) -> bool:
    return value is not None and value != []


def holds(operator: str, key: str, policy_values: list[str], context: dict, version: str) -> bool:
    """One condition entry: does `key` in the request context satisfy the operator?"""
    quantifier, base, if_exists = _split(operator)
    value = context.get(key.lower())
    if base == "Null":
        wanted_absent = [v.lower() == "true" for v in policy_values]
        return (not _present(value)) in wanted_absent
    test, negated, variables = _BASE[base]
    if variables:
        resolved = []
        for v in policy_values:
            try:
                resolved.append(substitute(v, context, version))
            except Unresolved:
                continue
        policy_values = resolved
    if not _present(value):
        if quantifier == "ForAllValues":
            return True
        if quantifier == "ForAnyValue":
            return False
        return True if if_exists else negated
    request_values = value if isinstance(value, list) else [value]

    def matches_any(request_value) -> bool:
        return any(test(request_value, p) for p in policy_values)

    if quantifier == "ForAllValues":
        return all(matches_any(v) != negated for v in request_values)
    if quantifier == "ForAnyValue":
        return any(matches_any(v) != negated for v in request_values)
    if negated:
        return not any(matches_any(v) for v in request_values)
    return any(matches_any(v) for v in request_values)


def all_hold(conditions, context: dict, version: str) -> bool:
    return all(holds(op, key, values, context, version) for op, key, values in conditions)


def missing_keys(conditions, context: dict) -> list[str]:
    """Condition keys a policy names that the request context lacks (SimulatePolicy reports them)."""
    return sorted({key for op, key, _ in conditions
                   if not _present(context.get(key.lower())) and not op.endswith("IfExists")
                   and _split(op)[1] != "Null"})
