"""Event filtering for event source mappings (FilterCriteria): EventBridge-style patterns.

A record passes when any of the mapping's patterns matches it. For SQS the message body is
matched as JSON when it parses as a JSON object (else as the plain string), as AWS does. The
common pattern forms are supported: exact values, null, `prefix`, `suffix`, `anything-but`,
`numeric` ranges, `exists`, `equals-ignore-case`, and nested objects.
"""

from __future__ import annotations

import json

from .names import invalid


def parse_criteria(criteria: dict | None) -> list[dict]:
    patterns = []
    for item in (criteria or {}).get("Filters") or ():
        try:
            pattern = json.loads(item.get("Pattern") or "")
        except ValueError:
            raise invalid(f"Invalid filter pattern definition: {item.get('Pattern')}") from None
        if not isinstance(pattern, dict):
            raise invalid(f"Invalid filter pattern definition: {item.get('Pattern')}")
        patterns.append(pattern)
    return patterns


def sqs_view(record: dict) -> dict:
    """The shape a pattern sees for one SQS record: the record with its body parsed."""
    view = dict(record)
    try:
        body = json.loads(record.get("body", ""))
        if isinstance(body, dict):
            view["body"] = body
    except ValueError:
        pass
    return view


def matches(patterns: list[dict], document: dict) -> bool:
    return not patterns or any(_object(p, document) for p in patterns)


def _object(pattern: dict, document) -> bool:
    for key, rule in pattern.items():
        present = isinstance(document, dict) and key in document
        value = document.get(key) if isinstance(document, dict) else None
        if isinstance(rule, dict):
            if not present or not _object(rule, value):
                return False
        elif isinstance(rule, list):
            if not _any_rule(rule, value, present):
                return False
        else:
            return False
    return True


def _any_rule(rules: list, value, present: bool) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, dict):
            if "exists" in rule:
                if bool(rule["exists"]) == present:
                    return True
                continue
            if present and any(_operator(rule, v) for v in values):
                return True
        elif present and any(v == rule for v in values):
            return True
    return False


def _operator(rule: dict, value) -> bool:
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(rule["suffix"])
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        if isinstance(excluded, dict) and "prefix" in excluded:
            return not (isinstance(value, str) and value.startswith(excluded["prefix"]))
        excluded = excluded if isinstance(excluded, list) else [excluded]
        return value not in excluded
    if "numeric" in rule:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        terms = rule["numeric"]
        checks = {"<": value.__lt__, "<=": value.__le__, ">": value.__gt__, ">=": value.__ge__, "=": value.__eq__}
        for op, bound in zip(terms[::2], terms[1::2]):
            if op not in checks or not checks[op](bound):
                return False
        return True
    return False
