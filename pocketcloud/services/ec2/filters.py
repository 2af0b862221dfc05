"""EC2's shared request semantics: Filters (wildcards, AND across filters, OR across values)
and DryRun, used by every Describe* operation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from pocketcloud.protocol.errors import ServiceError

@lru_cache(maxsize=4096)
def _value_matcher(pattern: str) -> Callable[[str], Any]:
    """A predicate for one filter value: '*' is any run of characters (even none), '?' exactly
    one, and a backslash makes the next character literal; everything else matches itself,
    case-sensitively, and the whole candidate must match. Cached because clients repeat the same
    filter values request after request."""
    if "*" not in pattern and "?" not in pattern and "\\" not in pattern:
        return pattern.__eq__
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL).fullmatch


def check_filter_names(filters: Iterable[Mapping[str, Any]], allowed: frozenset[str]) -> None:
    """Reject the first filter whose name this describe call does not support."""
    for flt in filters:
        name = flt.get("Name")
        if name not in allowed:
            raise ServiceError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)


def match_filters(
    item_values: Mapping[str, list[str]], filters: Iterable[Mapping[str, Any]] | None
) -> bool:
    """EC2 filter semantics: filters are AND'ed, the values of one filter are OR'ed, and a value
    may use the '*' / '?' wildcards. item_values maps each filter name to the item's values for
    it (a list, since some attributes are multi-valued, e.g. tags). A filter on an attribute the
    item lacks, or a filter with no values, matches nothing. Names must already be checked."""
    if not filters:
        return True
    for flt in filters:
        candidates = item_values.get(flt["Name"])
        if not candidates:
            return False
        patterns = flt.get("Values") or ()
        if not any(
            _value_matcher(pattern)(candidate) for pattern in patterns for candidate in candidates
        ):
            return False
    return True


def check_dry_run(request: Mapping[str, Any]) -> None:
    # After validation: a request that would fail must not be told it "would have succeeded".
    if request.get("DryRun"):
        raise ServiceError(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412
        )
