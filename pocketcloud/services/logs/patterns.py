"""CloudWatch Logs filter patterns, as used by FilterLogEvents, metric and subscription filters.

Three forms, told apart by their first character:
  text             ERROR "exact phrase" -excluded ?either ?or %regex%   (case-sensitive)
  JSON             { $.level = "ERR*" && ($.ms > 100 || $.user.id IS NULL) }
  space-delimited  [ip, user, ..., status = 4*, size > 100]

compile_pattern(text).match(message) returns None when the event does not match, else a dict of
the values it extracted (space-delimited fields: "$name" for named ones, "$<position>" for the rest;
nothing for text and JSON patterns, as AWS),
which metric filters use for their metric value and TestMetricFilter reports.
"""

from __future__ import annotations

import json
import operator
import re
from functools import lru_cache

from .common import invalid

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<selector>\$(?:[^\s"=!<>(),{}&|\[\]]|\[(?:\d+|\*)\])*)
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<regex>%(?:[^%\\]|\\.)+%)
    | (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|,|\{|\}|\[|\])
    | (?P<word>[^\s"=!<>(),{}\[\]&|]+)
    )""", re.VERBOSE)


def _bad(pattern: str) -> Exception:
    return invalid(f"Invalid filter pattern: {pattern}")


def _tokens(text: str, pattern: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _bad(pattern)
        kind = m.lastgroup
        out.append(("word" if kind == "selector" else kind, m.group(kind)))
        pos = m.end()
    return out


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


# The regular expressions AWS accepts between %...%: ASCII letters and digits, a few symbols and
# the operators ^ $ ? [ ] { } | \ * + . -- no groups "( )", no other symbols, nothing multibyte.
_REGEX_ALLOWED = re.compile(r"[A-Za-z0-9:_#=@/;,\- ^$?\[\]{}|\\*+.]+")
MAX_REGEXES = 2   # per JSON or space-delimited pattern


def _regex(token: str, pattern: str) -> re.Pattern:
    body = token[1:-1]
    if not _REGEX_ALLOWED.fullmatch(body):
        raise invalid(f"Invalid regular expression in filter pattern: {token}")
    try:
        return re.compile(body)
    except re.error:
        raise _bad(pattern) from None


def _check_regex_count(tokens: list, pattern: str) -> None:
    if sum(1 for kind, _ in tokens if kind == "regex") > MAX_REGEXES:
        raise invalid(f"A filter pattern can have at most {MAX_REGEXES} regular expressions: {pattern}")


def _wildcard(value: str):
    """'*' at the start or the end matches any text there (*Event, Event*, *html*, or * alone);
    anywhere else it is a plain character, as in AWS ("Ev*ent" matches only "Ev*ent")."""
    if value == "*":
        return lambda s: True
    head, tail = value.startswith("*"), value.endswith("*") and len(value) > 1
    core = value[1 if head else 0:len(value) - 1 if tail else len(value)]
    if head and tail:
        return lambda s: core in s
    if head:
        return lambda s: s.endswith(core)
    if tail:
        return lambda s: s.startswith(core)
    return lambda s: s == value


class Value:
    """The right-hand side of a comparison: a number, a string (maybe with *) or a %regex%."""

    def __init__(self, kind: str, token: str, pattern: str):
        self.number = None
        self.regex = None
        if kind == "regex":
            self.regex = _regex(token, pattern)
            self.text = token
        elif kind == "string":
            self.text = _unquote(token)
        else:
            self.text = token
            try:
                self.number = float(token)
            except ValueError:
                pass
        self.glob = _wildcard(self.text)

    def equals(self, actual) -> bool:
        if not _is_scalar(actual):
            return False
        if isinstance(actual, (int, float)):
            if self.number is not None:
                return float(actual) == self.number
            return self.glob(json.dumps(actual)) if "*" in self.text else False
        text = str(actual)
        if self.regex is not None:
            return self.regex.search(text) is not None
        if self.number is not None:
            try:
                return float(text) == self.number
            except ValueError:
                return text == self.text
        return self.glob(text)


COMPARE = {"=": operator.eq, "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
           "<=": operator.le, ">=": operator.ge}
_NUMERIC = {op: COMPARE[op] for op in ("<", ">", "<=", ">=")}


def either(first, second):
    """The predicate `first or second` (both take the same argument)."""
    return lambda value: bool(first(value)) or bool(second(value))


def both(first, second):
    """The predicate `first and second`."""
    return lambda value: bool(first(value)) and bool(second(value))


def _is_scalar(value) -> bool:
    """A selector must reach a string or a number; objects, arrays, null and booleans match neither
    = nor !=."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _compare(op: str, value: Value, actual) -> bool:
    if op == "=":
        return value.equals(actual)
    if op == "!=":
        return _is_scalar(actual) and not value.equals(actual)
    if value.number is None or isinstance(actual, bool):
        return False
    if isinstance(actual, str):
        try:
            actual = float(actual)
        except ValueError:
            return False
    if not isinstance(actual, (int, float)):
        return False
    return _NUMERIC[op](float(actual), value.number)


# -- text patterns ---------------------------------------------------------------------------

class TextPattern:
    def __init__(self, pattern: str):
        self.required, self.excluded, self.optional = [], [], []
        modifier = None   # "-" or "?" before the next term, written apart ("ERROR" - "Exiting") or not
        for kind, token in _tokens(pattern, pattern):
            if kind == "word" and token[0] in "-?" and modifier is None:
                modifier, token = token[0], token[1:]
                if not token:
                    continue
            target = {"-": self.excluded, "?": self.optional}.get(modifier, self.required)
            modifier = None
            if kind == "string":
                target.append(self._contains(_unquote(token)))
            elif kind == "regex":
                rx = _regex(token, pattern)
                target.append(lambda m, rx=rx: rx.search(m) is not None)
            elif kind == "word":
                target.append(self._contains(token))
            else:
                raise _bad(pattern)
        if modifier is not None:
            raise _bad(pattern)

    @staticmethod
    def _contains(term: str):
        return lambda message: term in message

    def match(self, message: str):
        if not all(t(message) for t in self.required):
            return None
        if any(t(message) for t in self.excluded):
            return None
        if self.optional and not any(t(message) for t in self.optional):
            return None
        return {}


# -- JSON patterns ---------------------------------------------------------------------------

_SELECTOR_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def _selector(token: str, pattern: str) -> list:
    if not token.startswith("$"):
        raise _bad(pattern)
    steps, pos = [], 1
    while pos < len(token):
        m = _SELECTOR_STEP.match(token, pos)
        if not m:
            raise _bad(pattern)
        steps.append(m.group(1) if m.group(1) is not None else (m.group(2) if m.group(2) == "*" else int(m.group(2))))
        pos = m.end()
    return steps


def resolve(document, steps: list) -> list:
    """The values a selector reaches ([*] may reach several); [] when it reaches nothing."""
    current = [document]
    for step in steps:
        following = []
        for node in current:
            if step == "*":
                if isinstance(node, list):
                    following.extend(node)
            elif isinstance(step, int):
                if isinstance(node, list) and step < len(node):
                    following.append(node[step])
            elif isinstance(node, dict) and step in node:
                following.append(node[step])
        current = following
    return current


class _JsonParser:
    def __init__(self, tokens: list, pattern: str):
        self.tokens, self.pos, self.pattern = tokens, 0, pattern

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        if token[0] is None:
            raise _bad(self.pattern)
        self.pos += 1
        return token

    def expr(self):
        left = self.conjunction()
        while self.peek()[1] == "||":
            self.take()
            right = self.conjunction()
            left = either(left, right)
        return left

    def conjunction(self):
        left = self.unary()
        while self.peek()[1] == "&&":
            self.take()
            right = self.unary()
            left = both(left, right)
        return left

    def unary(self):
        if self.peek()[1] == "(":
            self.take()
            inner = self.expr()
            if self.take()[1] != ")":
                raise _bad(self.pattern)
            return inner
        kind, token = self.take()
        if kind != "word":
            raise _bad(self.pattern)
        steps = _selector(token, self.pattern)
        kind, op = self.take()
        if kind == "word" and op.upper() in ("IS", "NOT"):
            _, what = self.take()
            what = what.upper()
            if op.upper() == "NOT" and what == "EXISTS":
                return lambda d: not resolve(d, steps)
            if op.upper() == "IS" and what in ("NULL", "TRUE", "FALSE"):
                wanted = {"NULL": None, "TRUE": True, "FALSE": False}[what]
                return lambda d: any(v is wanted for v in resolve(d, steps))
            raise _bad(self.pattern)
        if kind != "op" or op not in ("=", "!=", "<", ">", "<=", ">="):
            raise _bad(self.pattern)
        vkind, vtoken = self.take()
        if vkind not in ("word", "string", "regex"):
            raise _bad(self.pattern)
        value = Value(vkind, vtoken, self.pattern)
        return lambda d: any(_compare(op, value, v) for v in resolve(d, steps))


class JsonPattern:
    def __init__(self, pattern: str):
        tokens = _tokens(pattern, pattern)
        if tokens[0][1] != "{" or tokens[-1][1] != "}" or len(tokens) < 3:
            raise _bad(pattern)
        _check_regex_count(tokens, pattern)
        parser = _JsonParser(tokens[1:-1], pattern)
        self.test = parser.expr()
        if parser.pos != len(parser.tokens):
            raise _bad(pattern)

    def match(self, message: str):
        try:
            document = json.loads(message)
        except ValueError:
            return None
        if not isinstance(document, (dict, list)):
            return None
        return {} if self.test(document) else None


# -- space-delimited patterns ----------------------------------------------------------------

_LOG_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')


def log_fields(message: str) -> list[str]:
    """A message's fields: split on spaces, "quoted" and [bracketed] text kept whole."""
    return [a if a is not None else b if b is not None else c for a, b, c in
            ((m.group(1), m.group(2), m.group(3)) for m in _LOG_FIELD.finditer(message))]


class _Field:
    """One comma-separated part of a space-delimited pattern: `...`, `name`, or conditions."""

    def __init__(self, tokens: list, pattern: str):
        self.ellipsis = tokens == [("word", "...")]
        self.name = None
        self.test = None
        if self.ellipsis or not tokens:   # `...`, or an unnamed field: [a, , c]
            return
        if not tokens or tokens[0][0] != "word":
            raise _bad(pattern)
        self.name = tokens[0][1]
        if len(tokens) == 1:
            return
        # name op value [&& | || name op value]...: the same name on each side, as AWS writes it.
        groups: list[list] = [[]]
        joins = []
        i = 0
        while i < len(tokens):
            if len(tokens) - i < 3 or tokens[i][0] != "word" or tokens[i + 1][0] != "op":
                raise _bad(pattern)
            op = tokens[i + 1][1]
            vkind, vtoken = tokens[i + 2]
            if op not in ("=", "!=", "<", ">", "<=", ">=") or vkind not in ("word", "string", "regex"):
                raise _bad(pattern)
            groups[-1].append((op, Value(vkind, vtoken, pattern)))
            i += 3
            if i < len(tokens):
                join = tokens[i][1]
                if join not in ("&&", "||"):
                    raise _bad(pattern)
                joins.append(join)
                if join == "||":
                    groups.append([])
                i += 1
        self.test = lambda v: any(all(_compare(op, val, v) for op, val in g) for g in groups)


class SpaceDelimitedPattern:
    def __init__(self, pattern: str):
        tokens = _tokens(pattern, pattern)
        if tokens[0][1] != "[" or tokens[-1][1] != "]":
            raise _bad(pattern)
        _check_regex_count(tokens, pattern)
        fields, current = [], []
        for token in tokens[1:-1]:
            if token[1] == ",":
                fields.append(_Field(current, pattern))
                current = []
            else:
                current.append(token)
        fields.append(_Field(current, pattern))
        self.fields = fields

    def match(self, message: str):
        values = log_fields(message)
        extracted: dict = {}
        if not self._match(0, values, 0, extracted):
            return None
        # Fields the pattern does not name are extracted by their position, from 1.
        named = {}
        for index, value in enumerate(values):
            name, found = extracted.get(index, (f"${index + 1}", value))
            named[name] = found
        return named

    def _match(self, fi: int, values: list, vi: int, out: dict) -> bool:
        """Backtracking over `...`; `out` maps a value's index to ("$name", value) for named fields."""
        if fi == len(self.fields):
            return vi == len(values)
        field = self.fields[fi]
        if field.ellipsis:
            return any(self._match(fi + 1, values, k, out) for k in range(vi, len(values) + 1))
        if vi >= len(values):
            return False
        value = values[vi]
        if field.test is not None and not field.test(value):
            return False
        if self._match(fi + 1, values, vi + 1, out):
            if field.name is not None:
                out[vi] = (f"${field.name}", value)
            return True
        return False


class _MatchAll:
    def match(self, message: str):
        return {}


@lru_cache(maxsize=256)
def compile_pattern(pattern: str):
    text = (pattern or "").strip()
    if not text or text == '""':
        return _MatchAll()
    if text.startswith("{"):
        return JsonPattern(text)
    if text.startswith("["):
        return SpaceDelimitedPattern(text)
    return TextPattern(text)
