"""REST request-URI templates from botocore models ("/{Bucket}/{Key+}?uploads").

A template has a path part with labels ({Name} matches one path segment, {Name+} is greedy
and matches across '/') and an optional query part whose keys must be present
("?uploads") or equal a value ("?list-type=2").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

_LABEL = re.compile(r"\{([^}]+?)(\+)?\}")


@dataclass(frozen=True)
class UriTemplate:
    template: str
    regex: re.Pattern
    labels: tuple[str, ...]  # label names in group order
    greedy: bool
    required_query: tuple[tuple[str, str | None], ...]  # (key, value or None for presence)
    literal_weight: int  # literal path characters: more means more specific

    def match(self, raw_path: str, query: dict[str, str] | None = None) -> dict[str, str] | None:
        """Percent-decoded label values if the raw path (and query) fit, else None."""
        m = self.regex.match(raw_path)
        if m is None:
            return None
        if self.required_query:
            if query is None:
                return None
            for key, value in self.required_query:
                if key not in query or (value is not None and query[key] != value):
                    return None
        if "%" not in raw_path:  # nothing to decode (most paths): the groups as they are
            return dict(zip(self.labels, m.groups()))
        return {name: decoded_label(m.group(i + 1)) for i, name in enumerate(self.labels)}


def decoded_label(text: str) -> str:
    """A label's value as the member has it: percent-decoded."""
    return unquote(text) if "%" in text else text


@lru_cache(maxsize=4096)
def compile_template(template: str) -> UriTemplate:
    path, _, query = template.partition("?")
    pattern = ["^"]
    labels: list[str] = []
    greedy = False
    pos = 0
    weight = 0
    for m in _LABEL.finditer(path):
        literal = path[pos : m.start()]
        pattern.append(re.escape(literal))
        weight += len(literal)
        labels.append(m.group(1))
        # Possessive (no backtracking) when what follows cannot be part of the label anyway:
        # a "/" after a segment label, the end after a greedy one. The same matches, without
        # the regex engine retrying every shorter label (a failed match cost per character).
        at_end = m.end() == len(path)
        if m.group(2):
            greedy = True
            pattern.append("(.++)" if at_end else "(.+)")
        else:
            pattern.append("([^/]++)" if at_end or path[m.end()] == "/" else "([^/]+)")
        pos = m.end()
    tail = path[pos:]
    weight += len(tail)
    pattern.append(re.escape(tail.rstrip("/")) if len(tail) > 1 else re.escape(tail))
    if tail.endswith("/") and len(tail) > 1:
        pattern.append("/?")
    elif not tail and not greedy:
        pattern.append("/?")  # clients differ on a trailing slash after a final label
    elif tail == "/" and pattern[-2:] != ["^", re.escape("/")]:
        pattern[-1] = "/?"
    pattern.append("$")
    required: list[tuple[str, str | None]] = []
    for part in filter(None, query.split("&")):
        key, eq, value = part.partition("=")
        required.append((key, value if eq else None))
    return UriTemplate(
        template, re.compile("".join(pattern), re.S), tuple(labels), greedy, tuple(required), weight
    )


def operation_uri_params(operation_model, raw_path: str, query: dict[str, str] | None = None):
    """Label values of an operation's requestUri matched against a raw path (None if no fit)."""
    return compile_template(operation_model.http.get("requestUri", "/")).match(raw_path, query)
