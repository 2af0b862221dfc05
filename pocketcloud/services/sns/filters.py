"""Subscription filter policies: AWS's limits and the attribute view of a message. The pattern
language itself (validation and matching) is shared with EventBridge: core/patterns.py.

A policy in the MessageAttributes scope sees the message attributes (flat; strings, numbers,
String.Array elements); in the MessageBody scope it sees the message parsed as JSON (nested).
"""

from __future__ import annotations

import json
from math import prod

from pocketcloud.core import patterns

from .common import invalid

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024


def _error(reason: str):
    return invalid(f"Invalid parameter: FilterPolicy: {reason}")


def _dialect(scope: str) -> patterns.Dialect:
    return patterns.SNS_BODY if scope == "MessageBody" else patterns.SNS_ATTRIBUTES


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
    try:
        branches = patterns.check(policy, _dialect(scope))
    except patterns.PatternError as exc:
        raise _error(str(exc)) from None
    for keys in branches:
        if len(keys) > MAX_KEYS:
            raise _error(f"Filter policy can not have more than {MAX_KEYS} keys")
    if sum(prod(keys.values()) for keys in branches) > MAX_COMBINATIONS:
        raise _error("Filter policy is too complex")
    return policy


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
        return patterns.matches(policy, document, patterns.SNS_BODY)
    return patterns.matches(policy, attribute_values(attributes), patterns.SNS_ATTRIBUTES)
