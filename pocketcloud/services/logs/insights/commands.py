"""The commands of a Logs Insights query: how each is parsed and how it transforms the rows."""

from __future__ import annotations

import math
import re

from .lexer import QueryError, unquote
from .parser import Expr, Parser, _comparable, _number, _regex


class Command:
    """One step of the pipeline: run(rows, state) -> rows. `state` carries what is shown."""

    name = ""

    def run(self, rows: list[dict], state: dict) -> list[dict]:
        raise NotImplementedError


def _item(parser: Parser, allow_aggregate: bool = False) -> tuple[Expr, str]:
    expr = parser.expr(allow_aggregate)
    alias = expr.source
    if parser.accept("as"):
        alias = parser.take("a name").text
    return expr, alias


def _items(parser: Parser, allow_aggregate: bool = False) -> list[tuple[Expr, str]]:
    items = [_item(parser, allow_aggregate)]
    while parser.accept(","):
        items.append(_item(parser, allow_aggregate))
    return items


def _is_timestamp(expr: Expr) -> bool:
    source = expr.source.replace(" ", "").lower()
    return source in ("@timestamp", "@ingestiontime") or source.startswith(("bin(", "datefloor(", "dateceil("))


class Fields(Command):
    def __init__(self, parser: Parser):
        self.items = _items(parser)

    def run(self, rows, state):
        for expr, alias in self.items:
            if expr.source != alias or not re.fullmatch(r"@?[A-Za-z_][\w.@$]*", expr.source):
                for row in rows:
                    row[alias] = expr.fn(row)
            if alias not in state["fields"]:
                state["fields"].append(alias)
            if _is_timestamp(expr):
                state["timestamps"].add(alias)
        return rows


class Display(Command):
    def __init__(self, parser: Parser):
        self.names = [expr.source for expr, _ in _items(parser)]

    def run(self, rows, state):
        state["display"] = self.names
        return rows


class Filter(Command):
    def __init__(self, parser: Parser):
        self.expr = parser.expr()

    def run(self, rows, state):
        return [row for row in rows if self.expr.fn(row)]


class Parse(Command):
    def __init__(self, parser: Parser):
        field = parser.take("a field")
        if field.kind != "name":
            raise QueryError("parse needs a field, such as @message", field.start, field.end)
        self.field = field.text
        pattern = parser.take("a pattern")
        if pattern.kind == "regex":
            self.regex = _regex(pattern)
            self.names = list(self.regex.groupindex)
            if not self.names:
                raise QueryError("the regular expression names no groups (?<name>...)", pattern.start, pattern.end)
            return
        if pattern.kind != "string":
            raise QueryError("parse needs a \"glob*pattern\" or a /regex/", pattern.start, pattern.end)
        parts = unquote(pattern.text).split("*")
        groups = len(parts) - 1
        source = re.escape(parts[0])
        for i, part in enumerate(parts[1:], start=1):
            greedy = i == groups and part == ""
            source += f"(?P<g{i}>{'.*' if greedy else '.*?'})" + re.escape(part)
        self.regex = re.compile(source, re.DOTALL)
        parser.expect("as")
        self.names = [parser.take("a name").text]
        while parser.accept(","):
            self.names.append(parser.take("a name").text)
        if len(self.names) != groups:
            raise QueryError(f"the pattern has {groups} wildcards but {len(self.names)} names",
                             pattern.start, pattern.end)

    def run(self, rows, state):
        glob = all(g.startswith("g") and g[1:].isdigit() for g in self.regex.groupindex)
        for row in rows:
            value = row.get(self.field)
            m = self.regex.search(value if isinstance(value, str) else "" if value is None else str(value))
            if not m:
                continue
            for i, name in enumerate(self.names, start=1):
                row[name] = m.group(f"g{i}") if glob else m.group(name)
        return rows


def _aggregate(name: str, values: list, rows: list[dict], extra: list):
    if name == "count":
        return sum(1 for v in values if v is not None)
    if name == "count_distinct":
        return len({v for v in values if v is not None})
    if name in ("earliest", "latest"):
        pairs = [(row.get("@timestamp") or 0, v) for row, v in zip(rows, values) if v is not None]
        if not pairs:
            return None
        return (min if name == "earliest" else max)(pairs, key=lambda p: p[0])[1]
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    if not numbers:
        return None
    if name == "sum":
        return sum(numbers)
    if name == "avg":
        return sum(numbers) / len(numbers)
    if name == "min":
        return min(numbers)
    if name == "max":
        return max(numbers)
    if name == "stddev":
        mean = sum(numbers) / len(numbers)
        return math.sqrt(sum((n - mean) ** 2 for n in numbers) / (len(numbers) - 1)) if len(numbers) > 1 else 0
    if name in ("pct", "percentile"):
        wanted = _number(extra[0]) if extra else 50
        ordered = sorted(numbers)
        index = max(0, min(len(ordered) - 1, math.ceil(wanted / 100 * len(ordered)) - 1))
        return ordered[index]
    return None


class Stats(Command):
    def __init__(self, parser: Parser):
        self.aggregates = _items(parser, allow_aggregate=True)
        for expr, alias in self.aggregates:
            if expr.aggregate is None:
                raise QueryError(f"'{alias}' is not an aggregation such as count() or avg()", 0, 0)
        self.by = _items(parser) if parser.accept("by") else []

    def run(self, rows, state):
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            key = tuple(expr.fn(row) for expr, _ in self.by)
            groups.setdefault(key, []).append(row)
        if not self.by and not groups:
            groups[()] = []
        out = []
        for key, members in groups.items():
            record = {alias: value for (_, alias), value in zip(self.by, key)}
            for expr, alias in self.aggregates:
                name, args, slot = expr.aggregate
                values = [args[0](row) for row in members] if args else [True] * len(members)
                extra = [a({}) for a in args[1:]]
                record[alias] = expr.fn({slot: _aggregate(name, values, members, extra)})
            out.append(record)
        state["stats"] = [alias for _, alias in self.by] + [alias for _, alias in self.aggregates]
        state["timestamps"].update(alias for expr, alias in self.by if _is_timestamp(expr))
        state["sorted"] = False
        return out


def _sort_key(value):
    number = _number(value)
    if value is None:
        return (2, 0, "")
    if number is not None:
        return (0, number, "")
    return (1, 0, str(value))


class Sort(Command):
    def __init__(self, parser: Parser):
        self.keys = []
        while True:
            expr = parser.expr()
            descending = False
            if parser.accept("desc"):
                descending = True
            else:
                parser.accept("asc")
            self.keys.append((expr, descending))
            if not parser.accept(","):
                break

    def run(self, rows, state):
        for expr, descending in reversed(self.keys):
            present = [r for r in rows if expr.fn(r) is not None]
            missing = [r for r in rows if expr.fn(r) is None]
            present.sort(key=lambda r: _sort_key(expr.fn(r)), reverse=descending)
            rows = present + missing
        state["sorted"] = True
        return rows


class Limit(Command):
    def __init__(self, parser: Parser):
        token = parser.take("a number")
        if token.kind != "number" or not token.text.isdigit() or int(token.text) < 1:
            raise QueryError("limit needs a positive whole number", token.start, token.end)
        self.count = int(token.text)

    def run(self, rows, state):
        state["limit"] = min(state["limit"], self.count)
        return rows[:self.count]


class Dedup(Command):
    def __init__(self, parser: Parser):
        self.exprs = [expr for expr, _ in _items(parser)]

    def run(self, rows, state):
        seen, out = set(), []
        for row in rows:
            key = tuple(str(_comparable(e.fn(row), 0)[0]) for e in self.exprs)
            if key not in seen:
                seen.add(key)
                out.append(row)
        return out


COMMANDS = {"fields": Fields, "display": Display, "filter": Filter, "parse": Parse, "stats": Stats,
            "sort": Sort, "limit": Limit, "dedup": Dedup}


def parse_command(parser: Parser) -> Command:
    token = parser.take("a command")
    command = COMMANDS.get(token.text.lower()) if token.kind == "name" else None
    if command is None:
        raise QueryError(f"unknown command '{token.text}'", token.start, token.end)
    if parser.at_end():
        raise QueryError(f"{token.text} needs arguments", token.start, token.end)
    return command(parser)
