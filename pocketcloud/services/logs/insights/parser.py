"""The Logs Insights query language compiled to Python functions over records (dicts).

A query is commands joined by '|': fields, filter, stats ... by, sort, limit, parse, display, dedup.
Expressions compile to closures `record -> value`; a missing field is None, and a comparison
with None is false, as in Insights.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from ..patterns import COMPARE, both, either
from .lexer import DURATION_UNITS, QueryError, Token, tokenize, unquote

AGGREGATES = {"count", "count_distinct", "sum", "avg", "min", "max", "pct", "percentile", "stddev",
              "earliest", "latest"}


def _number(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _comparable(a, b):
    """Numbers compare as numbers (strings that look like numbers too), the rest as text."""
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na, nb
    return str(a), str(b)


def text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _duration_ms(token: Token) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", token.text)
    return float(m.group(1)) * DURATION_UNITS[m.group(2)] * 1000


def _regex(token: Token) -> re.Pattern:
    source = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", token.text)  # Java-style named groups
    try:
        return re.compile(source)
    except re.error as exc:
        raise QueryError(f"invalid regular expression: {exc}", token.start, token.end) from None


def _timestamp_ms(value):
    if isinstance(value, (int, float)):
        return value
    return None


SCALAR = {
    "ispresent": lambda v: v is not None,
    "isempty": lambda v: v is None or v == "",
    "isblank": lambda v: v is None or str(v).strip() == "",
    "strlen": lambda v: None if v is None else len(str(v)),
    "toupper": lambda v: None if v is None else str(v).upper(),
    "tolower": lambda v: None if v is None else str(v).lower(),
    "trim": lambda v: None if v is None else str(v).strip(),
    "ltrim": lambda v: None if v is None else str(v).lstrip(),
    "rtrim": lambda v: None if v is None else str(v).rstrip(),
    "abs": lambda v: None if _number(v) is None else abs(_number(v)),
    "ceil": lambda v: None if _number(v) is None else math.ceil(_number(v)),
    "floor": lambda v: None if _number(v) is None else math.floor(_number(v)),
    "sqrt": lambda v: None if _number(v) is None or _number(v) < 0 else math.sqrt(_number(v)),
    "tonumber": _number,
    "concat": lambda *vs: "".join("" if v is None else text(v) for v in vs),
    "strcontains": lambda v, s: v is not None and str(s) in str(v),
    "replace": lambda v, a, b: None if v is None else str(v).replace(str(a), str(b)),
    "substr": lambda v, start, length=None: None if v is None else (
        str(v)[int(start):] if length is None else str(v)[int(start):int(start) + int(length)]),
    "round": lambda v, digits=0: None if _number(v) is None else round(_number(v), int(digits)),
    "frommillis": lambda v: _number(v),
    "tomillis": lambda v: _timestamp_ms(v),
    "coalesce": lambda *vs: next((v for v in vs if v is not None), None),
    "greatest": lambda *vs: max((n for n in map(_number, vs) if n is not None), default=None),
    "least": lambda *vs: min((n for n in map(_number, vs) if n is not None), default=None),
    "isvalidip": lambda v: v is not None and _is_ip(str(v), (4, 6)),
    "isvalidipv4": lambda v: v is not None and _is_ip(str(v), (4,)),
    "isvalidipv6": lambda v: v is not None and _is_ip(str(v), (6,)),
}


def _is_ip(text: str, versions: tuple) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(text).version in versions
    except ValueError:
        return False


class Expr:
    """A compiled expression: fn(record), the query text it came from, and its aggregate if any."""

    def __init__(self, fn, source: str, aggregate: tuple | None = None):
        self.fn, self.source, self.aggregate = fn, source, aggregate


class Parser:
    def __init__(self, query: str, tokens: list[Token]):
        self.query, self.tokens, self.pos = query, tokens, 0
        self.aggregates_seen = 0

    # -- token helpers ---------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def at_end(self) -> bool:
        token = self.peek()
        return token is None or token.text == "|"

    def take(self, what: str = "a value") -> Token:
        token = self.peek()
        if token is None or token.text == "|":
            end = len(self.query)
            raise QueryError(f"expected {what}", end, end)
        self.pos += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take(f"'{text}'")
        if token.text.lower() != text:
            raise QueryError(f"expected '{text}' but found '{token.text}'", token.start, token.end)
        return token

    def accept(self, *texts: str) -> Token | None:
        token = self.peek()
        if token is not None and token.kind in ("op", "name") and token.text.lower() in texts:
            self.pos += 1
            return token
        return None

    def source(self, start: int) -> str:
        return self.query[self.tokens[start].start:self.tokens[self.pos - 1].end]

    # -- expressions -----------------------------------------------------------------------
    def expr(self, allow_aggregate: bool = False) -> Expr:
        start = self.pos
        self.allow_aggregate = allow_aggregate
        self.aggregate = None
        fn = self.or_expr()
        return Expr(fn, self.source(start), self.aggregate)

    def or_expr(self):
        left = self.and_expr()
        while self.accept("or", "||"):
            right = self.and_expr()
            left = either(left, right)
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.accept("and", "&&"):
            right = self.not_expr()
            left = both(left, right)
        return left

    def not_expr(self):
        if self.accept("not", "!"):
            inner = self.not_expr()
            return lambda r: not inner(r)
        return self.comparison()

    def comparison(self):
        left = self.additive()
        negate = False
        token = self.peek()
        if token is not None and token.is_word("not") and self.peek(1) is not None and self.peek(1).is_word("like", "in"):
            self.pos += 1
            negate = True
        op = self.accept("=", "==", "!=", "<", ">", "<=", ">=", "like", "=~", "in")
        if op is None:
            return left
        op = op.text.lower()
        if op in ("like", "=~"):
            pattern = self.take("a pattern")
            if pattern.kind == "regex":
                rx = _regex(pattern)
                test = (lambda v: v is not None and rx.search(text(v)) is not None)
            elif pattern.kind == "string":
                needle = unquote(pattern.text)
                test = (lambda v: v is not None and needle in text(v))
            else:
                raise QueryError("like needs a string or a /regex/", pattern.start, pattern.end)
            fn = (lambda r: test(left(r)))
        elif op == "in":
            self.expect("[")
            items = []
            while not self.accept("]"):
                items.append(self.additive())
                self.accept(",")
            fn = (lambda r: (lambda v: v is not None and any(
                _comparable(v, i(r))[0] == _comparable(v, i(r))[1] for i in items))(left(r)))
        else:
            right = self.additive()
            compare = COMPARE[op]

            def fn(r, left=left, right=right, compare=compare):
                a, b = left(r), right(r)
                if a is None or b is None:
                    return False
                return compare(*_comparable(a, b))
        if negate:
            positive = fn
            return lambda r: not positive(r)
        return fn

    def additive(self):
        left = self.multiplicative()
        while True:
            op = self.accept("+", "-")
            if op is None:
                return left
            right = self.multiplicative()
            left = _arith(op.text, left, right)

    def multiplicative(self):
        left = self.unary()
        while True:
            op = self.accept("*", "/", "%")
            if op is None:
                return left
            right = self.unary()
            left = _arith(op.text, left, right)

    def unary(self):
        if self.accept("-"):
            inner = self.unary()
            return lambda r: None if _number(inner(r)) is None else -_number(inner(r))
        return self.primary()

    def primary(self):
        token = self.take()
        if token.kind == "number":
            value = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
            return lambda r: value
        if token.kind == "string":
            value = unquote(token.text)
            return lambda r: value
        if token.kind == "duration":
            value = _duration_ms(token)
            return lambda r: value
        if token.kind == "regex":
            rx = _regex(token)
            return lambda r: rx.pattern
        if token.text == "(":
            inner = self.or_expr()
            self.expect(")")
            return inner
        if token.kind == "name":
            if self.peek() is not None and self.peek().text == "(":
                return self.call(token)
            name = token.text
            return lambda r: r.get(name)
        raise QueryError(f"unexpected '{token.text}'", token.start, token.end)

    def call(self, name_token: Token):
        name = name_token.text.lower()
        self.expect("(")
        if name in AGGREGATES:
            if not self.allow_aggregate or self.aggregate is not None:
                raise QueryError(f"{name_token.text}() is only allowed as a stats aggregation",
                                 name_token.start, name_token.end)
            self.allow_aggregate = False
            args = []
            if self.accept("*"):
                args.append(lambda r: True)
            while not self.accept(")"):
                args.append(self.or_expr())
                self.accept(",")
            # The stats command puts the aggregate's value in each group's record under this slot.
            self.aggregates_seen += 1
            slot = f"\0agg{self.aggregates_seen}"
            self.aggregate = (name, args, slot)
            return lambda r: r.get(slot)
        if name == "bin":
            period = self.take("a period")
            if period.kind != "duration":
                raise QueryError("bin() needs a period such as 5m", period.start, period.end)
            self.expect(")")
            width = _duration_ms(period)
            return lambda r: None if r.get("@timestamp") is None else (r["@timestamp"] // width) * width
        if name in ("datefloor", "dateceil"):
            value = self.or_expr()
            self.expect(",")
            period = self.take("a period")
            if period.kind != "duration":
                raise QueryError(f"{name_token.text}() needs a period such as 1h", period.start, period.end)
            self.expect(")")
            width = _duration_ms(period)
            rounding = math.floor if name == "datefloor" else math.ceil
            return lambda r: None if _number(value(r)) is None else rounding(_number(value(r)) / width) * width
        if name not in SCALAR:
            raise QueryError(f"unknown function {name_token.text}", name_token.start, name_token.end)
        args = []
        while not self.accept(")"):
            args.append(self.or_expr())
            self.accept(",")
        function = SCALAR[name]
        return lambda r: _safe(function, [a(r) for a in args])


def _safe(function, values):
    try:
        return function(*values)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None


def _arith(op: str, left, right):
    def fn(r):
        a, b = _number(left(r)), _number(right(r))
        if a is None or b is None:
            return None
        try:
            return {"+": a + b, "-": a - b, "*": a * b}[op] if op in "+-*" else (a / b if op == "/" else a % b)
        except ZeroDivisionError:
            return None
    return fn


def format_timestamp(ms) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def parse_query(query: str) -> list[tuple[str, object]]:
    """The query's commands as (name, compiled arguments)."""
    from .commands import parse_command

    tokens = tokenize(query)
    parser = Parser(query, tokens)
    commands = []
    while parser.peek() is not None:
        if parser.accept("|"):
            continue
        commands.append(parse_command(parser))
        token = parser.peek()
        if token is not None and token.text != "|":
            raise QueryError(f"unexpected '{token.text}'", token.start, token.end)
    if not commands:
        raise QueryError("the query is empty", 0, len(query))
    return commands
