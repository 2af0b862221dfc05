"""EC2's shared request semantics: Filters (wildcards, AND across filters, OR across values)
and DryRun, used by every Describe* operation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from pocketcloud.protocol.errors import ServiceError

_STAR, _ANY = object(), object()


@lru_cache(maxsize=4096)
def _value_matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate for one filter value: '*' is any run of characters (even none), '?' exactly
    one, and a backslash makes the next character literal; everything else matches itself,
    case-sensitively, and the whole candidate must match. Cached because clients repeat the same
    filter values request after request."""
    if "*" not in pattern and "?" not in pattern and "\\" not in pattern:
        return pattern.__eq__
    tokens: list = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            tokens.append(next(chars, "\\"))
        elif char == "*":
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
        elif char == "?":
            tokens.append(_ANY)
        else:
            tokens.append(char)
    return lambda text: _glob_match(tokens, text)


def _glob_match(tokens: list, text: str) -> bool:
    """Greedy wildcard matching that backtracks only to the last '*': at most
    len(tokens) * len(text) steps, where a regex could take exponential time."""
    t = p = 0
    star = -1
    resume = 0
    n = len(tokens)
    while t < len(text):
        token = tokens[p] if p < n else None
        if token is _STAR:
            star, resume = p, t
            p += 1
        elif token is not None and (token is _ANY or token == text[t]):
            t += 1
            p += 1
        elif star >= 0:
            resume += 1
            t, p = resume, star + 1
        else:
            return False
    while p < n and tokens[p] is _STAR:
        p += 1
    return p == n


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
