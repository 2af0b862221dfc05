"""Wildcards (* and ?), policy variables (${aws:username}) and ARN matching."""

from __future__ import annotations

import re

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _wildcard(glob: str, value: str) -> bool:
    """* and ? matching in O(len(glob) * len(value)) at worst, whatever the pattern: a regex
    would backtrack exponentially on a hostile pattern such as *a*a*a*a*b."""
    g = v = 0
    star, mark = -1, 0
    n_glob, n_value = len(glob), len(value)
    while v < n_value:
        ch = glob[g] if g < n_glob else None
        if ch == "*":
            star, mark = g, v
            g += 1
        elif ch is not None and (ch == "?" or _PLACEHOLDERS.get(ch, ch) == value[v]):
            g += 1
            v += 1
        elif star != -1:
            g, mark = star + 1, mark + 1
            v = mark
        else:
            return False
    while g < n_glob and glob[g] == "*":
        g += 1
    return g == n_glob


class GlobSet:
    """Several patterns matched at once (a statement's Action list): exact names and "prefix*"
    patterns, by far the most common, are a set lookup and one startswith."""

    __slots__ = ("exact", "prefixes", "others", "ignore_case", "everything")

    def __init__(self, globs: list[str], ignore_case: bool = False):
        self.ignore_case = ignore_case
        fold = str.lower if ignore_case else (lambda x: x)
        self.everything = "*" in globs
        exact, prefixes, others = set(), [], []
        for glob in globs:
            glob = fold(glob)
            body = glob[:-1] if glob.endswith("*") else glob
            if "*" not in body and "?" not in body:
                if glob.endswith("*"):
                    prefixes.append(literal(body))
                else:
                    exact.add(literal(glob))
            else:
                others.append(glob)
        self.exact, self.prefixes, self.others = exact, tuple(prefixes), others

    def matches(self, value: str) -> bool:
        if self.everything:
            return True
        if self.ignore_case:
            value = value.lower()
        return value in self.exact or value.startswith(self.prefixes) or \
            any(_wildcard(g, value) for g in self.others)


def glob_match(glob: str, value: str, ignore_case: bool = False) -> bool:
    if glob == "*":
        return True
    if ignore_case:
        glob, value = glob.lower(), value.lower()
    body = glob[:-1] if glob.endswith("*") else glob
    if "*" not in body and "?" not in body:
        return value.startswith(literal(body)) if glob.endswith("*") else literal(glob) == value
    return _wildcard(glob, value)


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
