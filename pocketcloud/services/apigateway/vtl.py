"""A small evaluator for API Gateway mapping templates (Apache Velocity, the common subset).

Supported: references `$a.b.c`, `${a}`, `$!a`, method calls `$x.m(args)` and indexing `$x[0]`;
directives `#set($v = expr)`, `#if / #elseif / #else / #end`, `#foreach($v in expr) ... #end`
(with `$foreach.hasNext`, `$foreach.index`, `$foreach.count`, `$velocityCount`), `## comments`
and `#* block comments *#`; expressions with string/number/boolean/null literals, lists `[..]`,
maps `{k: v}`, `== != < > <= >= && || ! and or not + - * / %`.
Objects: `$input` (body, json(path), path(path), params(), params(name)), `$context.*`,
`$stageVariables.*`, `$util` (escapeJavaScript, base64Encode, base64Decode, urlEncode,
urlDecode, parseJson), and on values the usual Java methods (size, get, containsKey, keySet,
isEmpty, toLowerCase, toUpperCase, contains, startsWith, endsWith, substring, indexOf, replace,
split, trim, length, equals). A null reference renders as the empty string.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote_plus, unquote_plus


class TemplateError(Exception):
    pass


# -- JSONPath (the subset templates use: $, .name, ['name'], [n], [*]) --------------------------

_JSONPATH_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(-?\d+)\s*\]|\[\s*\*\s*\]|\.\*")


def json_path(document, path: str):
    path = (path or "$").strip()
    if not path.startswith("$"):
        path = "$." + path
    values = [document]
    pos = 1
    while pos < len(path):
        match = _JSONPATH_STEP.match(path, pos)
        if match is None:
            raise TemplateError(f"Invalid JSONPath {path}")
        pos = match.end()
        name = match.group(1) or match.group(2) or match.group(3)
        out = []
        for value in values:
            if name is not None:
                if isinstance(value, dict) and name in value:
                    out.append(value[name])
            elif match.group(4) is not None:
                i = int(match.group(4))
                if isinstance(value, list) and -len(value) <= i < len(value):
                    out.append(value[i])
            else:
                out.extend(value.values() if isinstance(value, dict) else value if isinstance(value, list) else [])
        values = out
        if "*" in match.group(0):
            values = [values]  # a wildcard yields a list
    return values[0] if values else None


# -- the objects templates see -------------------------------------------------------------------

class Input:
    def __init__(self, body: str, params: dict):
        self.body = body
        self._params = params  # {"path": {}, "querystring": {}, "header": {}}
        self._parsed = None
        self._parsed_done = False

    def _document(self):
        if not self._parsed_done:
            self._parsed_done = True
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else {}
            except ValueError:
                self._parsed = self.body
        return self._parsed

    def json(self, path="$"):
        return json.dumps(json_path(self._document(), path), separators=(",", ":"))

    def path(self, path="$"):
        return json_path(self._document(), path)

    def params(self, name=None):
        if name is None:
            return self._params
        for where in ("path", "querystring", "header"):
            found = self._params.get(where, {})
            if where == "header":
                found = {k.lower(): v for k, v in found.items()}
                name_ = name.lower()
            else:
                name_ = name
            if name_ in found:
                return found[name_]
        return ""


class Util:
    @staticmethod
    def escapeJavaScript(text):  # noqa: N802 - the template's method name
        text = "" if text is None else str(text)
        out = []
        for ch in text:
            if ch in "\"'\\/":
                out.append("\\" + ch if ch != "/" else "/")
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\t":
                out.append("\\t")
            elif ord(ch) < 0x20:
                out.append(f"\\u{ord(ch):04X}")
            else:
                out.append(ch)
        return "".join(out)

    @staticmethod
    def base64Encode(text):  # noqa: N802
        data = text.encode() if isinstance(text, str) else bytes(text or b"")
        return base64.b64encode(data).decode()

    @staticmethod
    def base64Decode(text):  # noqa: N802
        return base64.b64decode(str(text or "")).decode("utf-8", "replace")

    @staticmethod
    def urlEncode(text):  # noqa: N802
        return quote_plus(str(text or ""))

    @staticmethod
    def urlDecode(text):  # noqa: N802
        return unquote_plus(str(text or ""))

    @staticmethod
    def parseJson(text):  # noqa: N802
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            raise TemplateError("Invalid JSON in $util.parseJson") from None


def _java_method(target, name: str, args: list):
    """The Java methods templates call on plain values."""
    if isinstance(target, (Input, Util)):
        method = getattr(target, name, None)
        if method is None or name.startswith("_"):
            return None
        return method(*args)
    if isinstance(target, dict):
        table = {"get": lambda k: target.get(k), "containsKey": lambda k: k in target, "keySet": lambda: list(target),
                 "values": lambda: list(target.values()), "size": lambda: len(target), "isEmpty": lambda: not target,
                 "put": lambda k, v: target.__setitem__(k, v), "entrySet": lambda: [{"key": k, "value": v} for k, v in target.items()]}
    elif isinstance(target, list):
        table = {"get": lambda i: target[int(i)], "size": lambda: len(target), "isEmpty": lambda: not target,
                 "contains": lambda x: x in target, "add": lambda x: target.append(x)}
    elif isinstance(target, str):
        table = {"length": lambda: len(target), "size": lambda: len(target), "toLowerCase": target.lower,
                 "toUpperCase": target.upper, "contains": lambda s: str(s) in target, "trim": target.strip,
                 "startsWith": lambda s: target.startswith(str(s)), "endsWith": lambda s: target.endswith(str(s)),
                 "substring": lambda a, b=None: target[int(a):None if b is None else int(b)],
                 "indexOf": lambda s: target.find(str(s)), "replace": lambda a, b: target.replace(str(a), str(b)),
                 "replaceAll": lambda a, b: re.sub(str(a), str(b), target), "split": lambda s: re.split(str(s), target),
                 "equals": lambda s: target == s, "isEmpty": lambda: not target,
                 "matches": lambda p: re.fullmatch(str(p), target) is not None}
    else:
        table = {"toString": lambda: render_value(target), "equals": lambda s: target == s}
    method = table.get(name)
    if method is None:
        return None
    try:
        return method(*args)
    except (TypeError, ValueError, IndexError, re.error):
        return None


def render_value(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    return str(value)


# -- parsing -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>-?\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!()\[\]{},:.=])
  | (?P<ref>\$!?\{?[A-Za-z_][\w-]*\}?)
  | (?P<word>[A-Za-z_]\w*)
)""", re.VERBOSE)


class _Expr:
    """Recursive-descent parser of one expression into a tree of tuples, over template text."""

    def __init__(self, text: str, pos: int):
        self.text, self.pos = text, pos

    def peek(self):
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            return None, None, self.pos
        kind = match.lastgroup
        return kind, match.group(kind), match.end()

    def take(self, value=None):
        kind, tok, end = self.peek()
        if kind is None or (value is not None and tok != value):
            raise TemplateError(f"Expected {value or 'a token'} at {self.pos}: {self.text[self.pos:self.pos + 20]!r}")
        self.pos = end
        return kind, tok

    def expression(self):
        return self._or()

    def _or(self):
        left = self._and()
        while self.peek()[1] in ("||", "or"):
            self.take()
            left = ("or", left, self._and())
        return left

    def _and(self):
        left = self._not()
        while self.peek()[1] in ("&&", "and"):
            self.take()
            left = ("and", left, self._not())
        return left

    def _not(self):
        if self.peek()[1] in ("!", "not"):
            self.take()
            return ("not", self._not())
        return self._compare()

    def _compare(self):
        left = self._sum()
        while self.peek()[1] in ("==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge"):
            _, op = self.take()
            left = ("cmp", op, left, self._sum())
        return left

    def _sum(self):
        left = self._product()
        while self.peek()[1] in ("+", "-"):
            _, op = self.take()
            left = ("arith", op, left, self._product())
        return left

    def _product(self):
        left = self._atom()
        while self.peek()[1] in ("*", "/", "%"):
            _, op = self.take()
            left = ("arith", op, left, self._atom())
        return left

    def _atom(self):
        kind, tok, _ = self.peek()
        if kind == "num":
            self.take()
            return ("lit", float(tok) if "." in tok else int(tok))
        if kind == "str":
            self.take()
            body = tok[1:-1]
            return ("lit", body.replace("\\'", "'").replace('\\"', '"')) if "$" not in body or tok[0] == "'" \
                else ("interp", parse(body))
        if kind == "word" and tok in ("true", "false", "null"):
            self.take()
            return ("lit", {"true": True, "false": False, "null": None}[tok])
        if tok == "(":
            self.take()
            inner = self.expression()
            self.take(")")
            return inner
        if tok == "[":
            self.take()
            items = []
            while self.peek()[1] != "]":
                items.append(self.expression())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return ("list", items)
        if tok == "{":
            self.take()
            pairs = []
            while self.peek()[1] != "}":
                key = self.expression()
                self.take(":")
                pairs.append((key, self.expression()))
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return ("map", pairs)
        if kind == "ref":
            node, self.pos = parse_reference(self.text, self.pos + (len(self.text[self.pos:]) - len(self.text[self.pos:].lstrip())))
            return node
        raise TemplateError(f"Unexpected {tok!r} in template expression")


def parse_reference(text: str, pos: int):
    """A `$...` reference starting at pos -> (node, end)."""
    assert text[pos] == "$"
    pos += 1
    quiet = text.startswith("!", pos)
    if quiet:
        pos += 1
    braced = text.startswith("{", pos)
    if braced:
        pos += 1
    match = re.compile(r"[A-Za-z_][\w-]*").match(text, pos)
    if match is None:
        raise TemplateError("Bad reference")
    name = match.group(0).rstrip("-")
    pos = match.start() + len(name)
    steps = []
    while pos < len(text):
        if text[pos] == "." and re.match(r"[A-Za-z_]", text[pos + 1:pos + 2] or " "):
            m = re.compile(r"[A-Za-z_]\w*").match(text, pos + 1)
            pos = m.end()
            if text.startswith("(", pos):
                parser = _Expr(text, pos + 1)
                args = []
                while parser.peek()[1] != ")":
                    args.append(parser.expression())
                    if parser.peek()[1] == ",":
                        parser.take()
                parser.take(")")
                pos = parser.pos
                steps.append(("call", m.group(0), args))
            else:
                steps.append(("attr", m.group(0)))
        elif text[pos] == "[":
            parser = _Expr(text, pos + 1)
            key = parser.expression()
            parser.take("]")
            pos = parser.pos
            steps.append(("index", key))
        else:
            break
    if braced:
        if not text.startswith("}", pos):
            raise TemplateError("Unclosed ${")
        pos += 1
    return ("ref", name, steps, quiet), pos


_DIRECTIVE = re.compile(r"#(\{)?(set|if|elseif|else|end|foreach|break|stop)\b\}?")


def parse(text: str) -> list:
    """Template text -> list of nodes."""
    nodes, pos = _parse_block(text, 0, top=True)
    return nodes


def _parse_block(text: str, pos: int, top: bool = False):
    nodes: list = []
    buf: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and text.startswith(("\\$", "\\#"), pos):
            buf.append(text[pos + 1])
            pos += 2
            continue
        if ch == "$" and re.match(r"\$!?\{?[A-Za-z_]", text[pos:pos + 4]):
            if buf:
                nodes.append(("text", "".join(buf)))
                buf = []
            node, pos = parse_reference(text, pos)
            nodes.append(node)
            continue
        if ch == "#":
            if text.startswith("##", pos):
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end + 1
                continue
            if text.startswith("#*", pos):
                end = text.find("*#", pos + 2)
                pos = len(text) if end < 0 else end + 2
                continue
            match = _DIRECTIVE.match(text, pos)
            if match:
                if buf:
                    nodes.append(("text", "".join(buf)))
                    buf = []
                word = match.group(2)
                if word in ("end", "else", "elseif"):
                    if top:
                        raise TemplateError(f"#{word} without #if or #foreach")
                    return nodes, pos
                pos = match.end()
                if word == "set":
                    parser = _Expr(text, pos)
                    parser.take("(")
                    target, parser.pos = parse_reference(text, parser.pos + _skip_space(text, parser.pos))
                    parser.take("=")
                    value = parser.expression()
                    parser.take(")")
                    pos = parser.pos
                    nodes.append(("set", target, value))
                elif word == "if":
                    branches = []
                    otherwise = []
                    cond, pos = _condition(text, pos)
                    while True:
                        body, pos = _parse_block(text, pos)
                        branches.append((cond, body))
                        end = _DIRECTIVE.match(text, pos)
                        if end is None:
                            raise TemplateError("#if without #end")
                        pos = end.end()
                        if end.group(2) == "elseif":
                            cond, pos = _condition(text, pos)
                            continue
                        if end.group(2) == "else":
                            otherwise, pos = _parse_block(text, pos)
                            end = _DIRECTIVE.match(text, pos)
                            if end is None or end.group(2) != "end":
                                raise TemplateError("#else without #end")
                            pos = end.end()
                        break
                    nodes.append(("if", branches, otherwise))
                elif word == "foreach":
                    parser = _Expr(text, pos)
                    parser.take("(")
                    var, parser.pos = parse_reference(text, parser.pos + _skip_space(text, parser.pos))
                    parser.take("in")
                    source = parser.expression()
                    parser.take(")")
                    body, pos = _parse_block(text, parser.pos)
                    end = _DIRECTIVE.match(text, pos)
                    if end is None or end.group(2) != "end":
                        raise TemplateError("#foreach without #end")
                    pos = end.end()
                    nodes.append(("foreach", var[1], source, body))
                else:
                    nodes.append((word,))
                continue
        buf.append(ch)
        pos += 1
    if not top:
        raise TemplateError("Missing #end")
    if buf:
        nodes.append(("text", "".join(buf)))
    return nodes, pos


def _skip_space(text: str, pos: int) -> int:
    return len(text[pos:]) - len(text[pos:].lstrip())


def _condition(text: str, pos: int):
    parser = _Expr(text, pos)
    parser.take("(")
    cond = parser.expression()
    parser.take(")")
    return cond, parser.pos


# -- evaluation --------------------------------------------------------------------------------

class _Stop(Exception):
    pass


class _Break(Exception):
    pass


def _truthy(value) -> bool:
    return value not in (None, False, "", 0) and value != [] and value != {}


def _eval(node, scope: dict):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        _, name, steps, _ = node
        value = scope.get(name)
        for step in steps:
            if value is None:
                return None
            if step[0] == "attr":
                if isinstance(value, dict):
                    value = value.get(step[1])
                elif isinstance(value, (Input, Util)):
                    attr = getattr(value, step[1], None)
                    value = attr() if callable(attr) and step[1] != "body" else attr
                elif isinstance(value, list) and step[1] in ("size", "empty"):
                    value = len(value) if step[1] == "size" else not value
                else:
                    value = None
            elif step[0] == "call":
                value = _java_method(value, step[1], [_eval(a, scope) for a in step[2]])
            else:
                key = _eval(step[1], scope)
                try:
                    value = value[key] if not isinstance(value, list) else value[int(key)]
                except (KeyError, IndexError, TypeError, ValueError):
                    value = None
        return value
    if kind == "interp":
        return _render(node[1], scope)
    if kind == "list":
        return [_eval(n, scope) for n in node[1]]
    if kind == "map":
        return {_eval(k, scope): _eval(v, scope) for k, v in node[1]}
    if kind == "not":
        return not _truthy(_eval(node[1], scope))
    if kind == "and":
        return _truthy(_eval(node[1], scope)) and _truthy(_eval(node[2], scope))
    if kind == "or":
        return _truthy(_eval(node[1], scope)) or _truthy(_eval(node[2], scope))
    if kind == "cmp":
        op = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}.get(node[1], node[1])
        a, b = _eval(node[2], scope), _eval(node[3], scope)
        if op == "==":
            return a == b or (a is not None and b is not None and str(a) == str(b) and type(a) is not type(b)
                              and not isinstance(a, (int, float)))
        if op == "!=":
            return a != b
        try:
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        except TypeError:
            return False
    if kind == "arith":
        a, b = _eval(node[2], scope), _eval(node[3], scope)
        if node[1] == "+" and (isinstance(a, str) or isinstance(b, str)):
            return render_value(a) + render_value(b)
        try:
            if node[1] == "/" and isinstance(a, int) and isinstance(b, int):
                return a // b
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                    "%": lambda: a % b}[node[1]]()
        except (TypeError, ZeroDivisionError):
            return None
    raise TemplateError(f"Cannot evaluate {kind}")


def _render(nodes: list, scope: dict, out: list | None = None) -> str:
    own = out is None
    out = [] if own else out
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(node[1])
        elif kind == "ref":
            out.append(render_value(_eval(node, scope)))
        elif kind == "set":
            _, target, value = node
            value = _eval(value, scope)
            if target[2]:  # #set($map.key = v)
                holder = _eval(("ref", target[1], target[2][:-1], True), scope)
                last = target[2][-1]
                if isinstance(holder, dict) and last[0] == "attr":
                    holder[last[1]] = value
            else:
                scope[target[1]] = value
        elif kind == "if":
            for cond, body in node[1]:
                if _truthy(_eval(cond, scope)):
                    _render(body, scope, out)
                    break
            else:
                _render(node[2], scope, out)
        elif kind == "foreach":
            _, var, source, body = node
            items = _eval(source, scope)
            if isinstance(items, dict):
                items = list(items.values())
            items = list(items or ())
            saved = scope.get("foreach")
            try:
                for i, item in enumerate(items):
                    scope[var] = item
                    scope["foreach"] = {"index": i, "count": i + 1, "hasNext": i + 1 < len(items),
                                        "first": i == 0, "last": i + 1 == len(items)}
                    scope["velocityCount"] = i + 1
                    scope["velocityHasNext"] = i + 1 < len(items)
                    _render(body, scope, out)
            except _Break:
                pass
            scope["foreach"] = saved
        elif kind == "break":
            raise _Break()
        elif kind == "stop":
            raise _Stop()
    return "".join(out) if own else ""


_cache: dict[str, list] = {}


def is_static(template: str) -> bool:
    """True when the template has nothing to evaluate (no reference, no directive)."""
    return "$" not in template and "#" not in template and "\\" not in template


def render(template: str, variables: dict) -> str:
    """Evaluate a template with `variables` (input, context, stageVariables, util are added by
    the caller). Raises TemplateError on a template it cannot parse."""
    nodes = _cache.get(template)
    if nodes is None:
        nodes = parse(template)
        if len(_cache) > 1000:
            _cache.clear()
        _cache[template] = nodes
    scope = {"util": Util(), **variables}
    out: list[str] = []
    try:
        _render(nodes, scope, out)
    except _Stop:
        pass
    return "".join(out)
