"""Flat "A.B.member.1.C=value" parameters -> nested input dict (query and ec2 protocols).

Both protocols send every scalar of the input as one form (or query-string) pair whose key
is the dotted path to it. Parsing walks each key once against a plan compiled per shape:
a structure maps wire names to members, a list takes an index segment (after an optional
"member"-style name segment), a map takes an index and a key/value segment. Lists and maps
are collected by index first and put in index order at the end, because clients need not
send them in order.

The two protocols differ only in naming: query uses locationName and the list member's
locationName (flattened or not), ec2 uses queryName, else the capitalised locationName,
and always writes lists as "Name.N".
"""

from __future__ import annotations

from ._values import BadValue, text_converter

SCALAR, STRUCT, LIST, MAP = 0, 1, 2, 3
_MISSING = object()


class Scalar:
    __slots__ = ("conv", "kind")

    def __init__(self, conv):
        self.kind = SCALAR
        self.conv = conv


class Struct:
    __slots__ = ("children", "kind", "members")

    def __init__(self):
        self.kind = STRUCT
        self.children: dict[str, tuple[str, object]] = {}  # wire segment -> (member, plan)
        self.members: dict[str, object] = {}  # member name -> plan


class List:
    __slots__ = ("item", "kind")

    def __init__(self):
        self.kind = LIST
        self.item = None


class Map:
    __slots__ = ("key", "key_name", "kind", "value", "value_name")

    def __init__(self):
        self.kind = MAP
        self.key = self.value = None
        self.key_name = "key"
        self.value_name = "value"


# --- plan compilation --------------------------------------------------------------------


def _query_name(shape, default: str) -> str:
    return shape.serialization.get("name", default)


def _ec2_name(shape, default: str) -> str:
    ser = shape.serialization
    if "queryName" in ser:
        return ser["queryName"]
    name = ser.get("name")
    if name:
        return name[0].upper() + name[1:]
    return default


def compile_plan(shape, ec2: bool):
    return _compile(shape, ec2, {})


def _memo_key(shape):
    ser = shape.serialization
    return (shape.name, shape.type_name, ser.get("flattened"), ser.get("timestampFormat"))


def _compile(shape, ec2: bool, memo: dict):
    kind = shape.type_name
    if kind not in ("structure", "list", "map"):
        return Scalar(text_converter(shape))
    key = _memo_key(shape)
    plan = memo.get(key)
    if plan is not None:
        return plan
    name_of = _ec2_name if ec2 else _query_name
    if kind == "structure":
        plan = memo[key] = Struct()
        for member_name, member in shape.members.items():
            sub = _compile(member, ec2, memo)
            plan.members[member_name] = sub
            wire = name_of(member, member_name)
            plan.children[wire] = (member_name, sub)
            if (
                not ec2
                and member.type_name == "list"
                and member.serialization.get("flattened")
                and member.member.serialization.get("name")
            ):
                # A flattened list whose member has a locationName replaces the list's own
                # name on the wire ("Attribute.1" for a member called Attributes).
                plan.children[member.member.serialization["name"]] = (member_name, sub)
    elif kind == "list":
        plan = memo[key] = List()
        plan.item = _compile(shape.member, ec2, memo)
    else:
        plan = memo[key] = Map()
        plan.key = _compile(shape.key, ec2, memo)
        plan.value = _compile(shape.value, ec2, memo)
        plan.key_name = name_of(shape.key, "key")
        plan.value_name = name_of(shape.value, "value")
    return plan


# --- parsing -----------------------------------------------------------------------------


def _descend(plan, node: dict, parts: list[str], i: int, raw: str) -> None:
    """Store raw at parts[i:] below node, which is the collecting dict for plan."""
    n = len(parts)
    while True:
        kind = plan.kind
        if kind == STRUCT:
            entry = plan.children.get(parts[i])
            if entry is None:
                return  # unknown parameter: AWS ignores it
            slot, child = entry
        elif kind == LIST or kind == MAP:
            # Both take an index segment, preceded when not flattened by a name segment:
            # "member" (or the member's locationName) for a list, "entry" for a map.
            seg = parts[i]
            # isdecimal, not isdigit: int() refuses "²", which isdigit accepts
            if not seg.isdecimal():
                i += 1
                if i == n:
                    return
                seg = parts[i]
                if not seg.isdecimal():
                    return
            if kind == LIST:
                slot = int(seg)
                child = plan.item
            else:
                i += 1
                if i == n:
                    return
                pair = node.get(int(seg))
                if pair is None:
                    pair = node[int(seg)] = [_MISSING, _MISSING]
                which = parts[i]
                if which == plan.key_name:
                    if i + 1 == n and plan.key.kind == SCALAR:
                        pair[0] = plan.key.conv(raw)
                    return
                if which != plan.value_name:
                    return
                child = plan.value
                i += 1
                if i == n:
                    if child.kind == SCALAR:
                        pair[1] = child.conv(raw)
                    elif child.kind == LIST and raw == "":
                        pair[1] = []
                    return
                sub = pair[1]
                if sub is _MISSING or type(sub) is list:
                    sub = pair[1] = {}
                plan, node = child, sub
                continue
        else:
            return
        i += 1
        if i == n:
            if child.kind == SCALAR:
                node[slot] = child.conv(raw)
            elif child.kind == LIST and raw == "" and slot not in node:
                node[slot] = []  # the query protocol sends an empty list as "Name="
            return
        if child.kind == SCALAR:
            return  # "Scalar.something": not a parameter of this shape
        sub = node.get(slot)
        if sub is None or type(sub) is list:
            sub = node[slot] = {}
        plan, node = child, sub


def _finish(plan, node):
    kind = plan.kind
    if kind == STRUCT:
        members = plan.members
        for name, value in node.items():
            sub = members[name]
            if sub.kind != SCALAR:
                node[name] = _finish(sub, value)
        return node
    if type(node) is list:
        return node
    if kind == LIST:
        item = plan.item
        if len(node) == 1:
            values = list(node.values())
        else:
            values = [node[k] for k in sorted(node)]
        if item.kind == SCALAR:
            return values
        return [_finish(item, v) for v in values]
    # MAP
    value_plan = plan.value
    out = {}
    for index in sorted(node):
        key, value = node[index]
        if key is _MISSING or value is _MISSING:
            continue
        if value_plan.kind != SCALAR:
            value = _finish(value_plan, value)
        out[key] = value
    return out


class BadParam(Exception):
    """A parameter whose value does not fit its shape."""

    def __init__(self, key: str, raw: str, reason: str):
        super().__init__(reason)
        self.key = key
        self.raw = raw
        self.reason = reason


def parse_pairs(plan: Struct, pairs) -> dict:
    """Nest the decoded (key, value) pairs into the input dict described by plan."""
    out: dict = {}
    children = plan.children
    nested = False
    for key, raw in pairs:
        try:
            if "." not in key:
                entry = children.get(key)
                if entry is None:
                    continue  # Action, Version, and anything unknown
                slot, child = entry
                kind = child.kind
                if kind == SCALAR:
                    out[slot] = child.conv(raw)
                elif kind == LIST and raw == "" and slot not in out:
                    out[slot] = []
                continue
            nested = True
            _descend(plan, out, key.split("."), 0, raw)
        except BadValue as exc:
            raise BadParam(key, raw, str(exc)) from None
    if nested:
        _finish(plan, out)
    return out
