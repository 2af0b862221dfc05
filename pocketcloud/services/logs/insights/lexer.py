"""Tokens of the Logs Insights query language."""

from __future__ import annotations

import re

from pocketcloud.protocol.errors import ServiceError


class QueryError(ServiceError):
    """MalformedQueryException, with AWS's queryCompileError location."""

    def __init__(self, message: str, start: int = 0, end: int = 0):
        super().__init__("MalformedQueryException", message, 400,
                         queryCompileError={"location": {"startCharOffset": start, "endCharOffset": end},
                                            "message": message})


DURATION_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400,
                  "w": 604800, "mo": 2592000, "q": 7776000, "y": 31536000}

_TOKEN = re.compile(r"""
      (?P<space>\s+|\#[^\n]*)
    | (?P<duration>\d+(?:\.\d+)?(?:ms|sec|min|hr|mo|s|m|h|d|w|q|y)\b)
    | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<backtick>`[^`]*`)
    | (?P<name>@?[A-Za-z_][A-Za-z0-9_.@$]*)
    | (?P<op>\|\||&&|=~|!=|<=|>=|==|[|=<>+\-*/%(),\[\]!])
    """, re.VERBOSE)

# After these, a '/' is a division; anywhere else it starts a regular expression.
_VALUE_END = {"name", "number", "string", "duration", "backtick"}
KEYWORDS = frozenset({"like", "and", "or", "not", "in", "as", "by", "asc", "desc", "fields", "filter", "stats",
                      "sort", "limit", "parse", "display", "dedup"})


class Token:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind: str, text: str, start: int, end: int):
        self.kind, self.text, self.start, self.end = kind, text, start, end

    def is_word(self, *words: str) -> bool:
        return self.kind == "name" and self.text.lower() in words

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text}"


def _regex_end(query: str, pos: int) -> int:
    i = pos + 1
    while i < len(query):
        if query[i] == "\\":
            i += 2
            continue
        if query[i] == "/":
            return i + 1
        i += 1
    raise QueryError("unterminated regular expression", pos, len(query))


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        prev = tokens[-1] if tokens else None
        if query[pos] == "/" and (prev is None or _after_parse_field(tokens)
                                  or (prev.kind not in _VALUE_END or prev.is_word(*KEYWORDS)) and prev.text != ")"):
            end = _regex_end(query, pos)
            tokens.append(Token("regex", query[pos + 1:end - 1], pos, end))
            pos = end
            continue
        m = _TOKEN.match(query, pos)
        if not m:
            raise QueryError(f"unexpected character '{query[pos]}'", pos, pos + 1)
        kind = m.lastgroup
        if kind != "space":
            text = m.group(kind)
            if kind == "backtick":
                kind, text = "name", text[1:-1]
            tokens.append(Token(kind, text, pos, m.end()))
        pos = m.end()
    return tokens


def _after_parse_field(tokens: list[Token]) -> bool:
    """`parse @message /regex/`: the field after `parse` is followed by a regex."""
    return len(tokens) >= 2 and tokens[-2].is_word("parse") and tokens[-1].kind == "name"


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])
