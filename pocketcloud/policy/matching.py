"""Wildcards (* and ?), policy variables (${aws:username}) and ARN matching."""

from __future__ import annotations

import re
from functools import lru_cache

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@lru_cache(maxsize=8192)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern:
    return re.compile(_glob_regex(glob) + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob_regex(glob: str) -> str:
    parts = []
    for ch in glob:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        elif ch in _PLACEHOLDERS:
            parts.append(re.escape(_PLACEHOLDERS[ch]))
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def any_of(globs: list[str]) -> re.Pattern:
    """One case-insensitive regex matching any of the globs (for Action/NotAction lists)."""
    return re.compile("(?:" + "|".join(_glob_regex(g) for g in globs) + r")\Z", re.DOTALL | re.IGNORECASE)


def glob_match(glob: str, value: str, ignore_case: bool = False) -> bool:
    if glob == "*":
        return True
    if "*" not in glob and "?" not in glob:
        glob = literal(glob)
        return glob.lower() == value.lower() if ignore_case else glob == value
    return _pattern(glob, ignore_case).match(value) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """Compare ARNs segment by segment (partition, service, region, account), the resource part
    as a whole: a wildcard never spans the colons of the first five segments."""
    if pattern == "*":
        return True
    p = pattern.split(":", 5)
    a = arn.split(":", 5)
    if len(p) != 6 or len(a) != 6:
        return glob_match(pattern, arn)
    return all(glob_match(pp, aa) for pp, aa in zip(p, a))


class Unresolved(Exception):
    """A policy variable with no value in the request and no default: the element cannot match."""


def substitute(text: str, context: dict, version: str) -> str:
    """Replace ${key} (and ${key, 'default'}) with request context values; only policies of
    Version 2012-10-17 have variables, older ones take "${" literally."""
    if "${" not in text or version != "2012-10-17":
        return text

    def one(match: re.Match) -> str:
        inner = match.group(1).strip()
        if inner in ("*", "?", "$"):
            return _escape_literal(inner)
        default = None
        if "," in inner:
            inner, _, rest = inner.partition(",")
            inner, rest = inner.strip(), rest.strip()
            if len(rest) >= 2 and rest[0] == rest[-1] == "'":
                default = rest[1:-1]
        value = context.get(inner.lower())
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is None:
            if default is None:
                raise Unresolved(inner)
            return default
        return str(value)

    return _VARIABLE.sub(one, text)


# ${*} and ${?} stand for the literal characters; the glob compiler would read them as
# wildcards, so they become private-use placeholders that _pattern escapes back.
_LITERALS = {"*": "\ue000", "?": "\ue001", "$": "$"}


def _escape_literal(ch: str) -> str:
    return _LITERALS[ch]


_PLACEHOLDERS = {"\ue000": "*", "\ue001": "?"}


def literal(text: str) -> str:
    return text.replace("\ue000", "*").replace("\ue001", "?")
