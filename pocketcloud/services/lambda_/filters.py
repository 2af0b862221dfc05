"""Event filtering for event source mappings (FilterCriteria): EventBridge's pattern language
(core/patterns.py, shared with EventBridge rules and SNS filter policies).

A record passes when any of the mapping's patterns matches it. For SQS the message body is
matched as JSON when it parses as a JSON object (else as the plain string), as AWS does.
"""

from __future__ import annotations

import json

from pocketcloud.core import patterns as pattern_language

from .names import invalid


def parse_criteria(criteria: dict | None) -> list[dict]:
    patterns = []
    for item in (criteria or {}).get("Filters") or ():
        try:
            pattern = json.loads(item.get("Pattern") or "")
            pattern_language.check(pattern, pattern_language.EVENTBRIDGE)
        except (ValueError, RecursionError):  # PatternError is a ValueError
            raise invalid(f"Invalid filter pattern definition: {item.get('Pattern')}") from None
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
    return not patterns or any(pattern_language.matches(p, document, pattern_language.EVENTBRIDGE)
                               for p in patterns)
