"""Seeded random VALID values for any botocore shape.

`ValueGenerator(rng, protocol, direction)` builds values that a real AWS client could send
(direction "input") or a real service could return (direction "output"): they honour the
model's constraints (required members, min/max lengths and ranges, enums, unions with exactly
one member) and the places the wire puts them (URI labels, headers, host labels, query
strings, XML or JSON bodies).

Three generation modes, picked per sample by the conformance test:
  "full"     every member of every structure (down to MAX_DEPTH), lists/maps of 1-2 items
  "minimal"  required members only, lists/maps at their minimum size
  "random"   each optional member with probability 1/2, lists/maps of 0-3 items

What is NOT generated, and why (each is a property of the wire, not of our codec; the
conformance test relies on these instead of normalising afterwards, so they are kept few):
  * "\r" in any string: XML (query/ec2/rest-xml bodies) turns it into "\n" by definition.
  * Header values: printable ASCII only, without leading or trailing blanks (HTTP trims
    optional whitespace and carries no newlines); header-list items are also non-empty,
    because "a,,b" and "a, ,b" cannot round-trip through RFC 7230 list syntax.
  * Header-map ("headers" location) keys: lower-case tokens, since HTTP header names are
    case-insensitive and our HttpRequest lower-cases them.
  * URI labels: non-empty and not made of dots only ("." and ".." are path segments every
    HTTP stack may normalise away).
  * hostLabel members: DNS-safe [a-z0-9-], as botocore itself requires.
  * Query-string maps (a "querystring" map spreads its keys over the query): keys that do
    not collide with the operation's named query parameters.
  * Required query-string lists, and required flattened lists in rest-xml input, non-empty:
    an empty one sends nothing, so the required member could never arrive.
  * query/ec2 input: no empty structures or maps anywhere (nothing goes on the wire for them,
    so a required one could never arrive) -- except a member-less structure, which cannot be
    filled (the harness counts a structure without values as absent there); ec2 input: no
    empty lists (the EC2 serializer omits them).
  * float (32-bit) values are exactly representable in 32 bits, so CBOR's float32 encoding
    does not round them; doubles use full precision.
  * Timestamps: microsecond precision on input (the comparison truncates them to what each
    wire format carries), millisecond precision on output (what AWS returns).
  * Input Content-Length header members (unless required): the HTTP layer owns that header.
  * XML: of two members sharing one element name (S3's deprecated
    CloudFunctionConfiguration.Event beside the flattened Events list), neither unless required.
  * Documents are never a bare null (a JSON null member reads as an absent one).
  * Event streams (output only): a list of events, each {member name: value} of the stream
    union; an exception event (a modelled exception member, or STREAM_ERROR for an unmodelled
    error) only as the last one, since the provider raises it and the stream ends there.
    The stream member is always there: "minimal" is the empty stream, "full" every event
    once then a modelled exception, "random" 0-4 events and, every other time, a fault.
  * statusCode members on output: a 2xx status without special body rules (200, 201, 202).
"""

from __future__ import annotations

import datetime as _dt
import math
import random
import string
import struct
from collections import Counter

MAX_DEPTH = 5

# A mix of the characters that break naive codecs: reserved URL characters, XML markup,
# JSON escapes, '+' vs space, percent signs, non-ASCII in 2, 3 and 4 UTF-8 bytes.
_PLAIN = string.ascii_letters + string.digits
_SPECIAL = " -_.~/:+=&?%#@!*'\"<>;,()[]{}|\\^`$\t\n" + "\u00e9\u00fc\u65e5\u672c\U0001f600"
_HEADER_CHARS = "".join(chr(c) for c in range(0x20, 0x7F))  # printable ASCII
_TOKEN_CHARS = string.ascii_lowercase + string.digits + "-"
_DNS_CHARS = string.ascii_lowercase + string.digits + "-"

_EPOCH_MIN = 631152000  # 1990-01-01
_EPOCH_MAX = 2114380800  # 2037-01-01

# Key of an unmodelled mid-stream error event: {STREAM_ERROR: {"Code": str | None, "Message": str}}
# (Code None: the provider fails with a non-ServiceError exception). Never a member name.
STREAM_ERROR = "__stream_error__"

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


class Context:
    """Where a value travels on the wire (inherited by nested values only as 'body')."""

    __slots__ = ("greedy", "host_label", "list_item", "location", "reserved_query")

    def __init__(self, location="body", greedy=False, host_label=False, list_item=False,
                 reserved_query=()):
        self.location = location  # body | uri | querystring | header | headers | statusCode
        self.greedy = greedy
        self.host_label = host_label
        self.list_item = list_item
        self.reserved_query = reserved_query


BODY = Context()


def f32(value: float) -> float:
    """The nearest 32-bit float (what a 'float' shape may be squeezed into)."""
    return struct.unpack(">f", struct.pack(">f", value))[0]


def is_rest(protocol: str) -> bool:
    return protocol in ("rest-json", "rest-xml")


class ValueGenerator:
    def __init__(self, rng: random.Random, protocol: str, direction: str):
        assert direction in ("input", "output")
        self.rng = rng
        self.protocol = protocol
        self.direction = direction
        form = direction == "input" and protocol in ("query", "ec2")
        self.non_empty_structures = form
        self.non_empty_maps = form
        self.non_empty_lists = direction == "input" and protocol == "ec2"
        self.xml_input = direction == "input" and protocol == "rest-xml"
        # Values travel as XML: rest-xml both ways, query/ec2 responses.
        self.xml = protocol == "rest-xml" or (direction == "output" and protocol in ("query", "ec2"))

    # --- entry points ---------------------------------------------------------------------

    def operation_input(self, operation_model, mode: str) -> dict:
        return self._top_level(operation_model.input_shape, mode, operation_model)

    def operation_output(self, operation_model, mode: str) -> dict:
        return self._top_level(operation_model.output_shape, mode, operation_model)

    def error_fields(self, error_shape, mode: str) -> dict:
        """Members of a modelled error, except the message (carried by ServiceError itself)."""
        out = self._top_level(error_shape, mode, None)
        for name in list(out):
            if name.lower() == "message":
                del out[name]
        return out

    def value(self, shape, mode: str, ctx: Context = BODY, depth: int = 0, required=False):
        kind = shape.type_name
        if kind == "structure":
            if shape.is_document_type:
                return self._document(depth)
            return self._structure(shape, mode, depth)
        if kind == "list":
            return self._list(shape, mode, ctx, depth, required)
        if kind == "map":
            return self._map(shape, mode, depth)
        if kind == "string":
            if ctx.location == "header" and shape.serialization.get("jsonvalue"):
                # botocore sends base64(JSON) for these and expects any JSON value
                return self._document(depth, top_dict=True)
            return self._string(shape, ctx)
        if kind in ("integer", "long", "short", "byte"):
            return self._integer(shape, ctx)
        if kind in ("float", "double"):
            return self._float(shape)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "timestamp":
            return self._timestamp()
        if kind == "blob":
            return self._blob(shape)
        raise ValueError(f"no generator for shape type {kind!r} ({shape.name})")

    # --- structures -----------------------------------------------------------------------

    def _top_level(self, shape, mode, operation_model) -> dict:
        if shape is None:
            return {}
        rest = is_rest(self.protocol)
        reserved = ()
        if rest:
            reserved = tuple(
                m.serialization.get("name", n)
                for n, m in shape.members.items()
                if m.serialization.get("location") == "querystring" and m.type_name != "map"
            )
        greedy = set()
        if rest and operation_model is not None:
            uri = operation_model.http.get("requestUri", "")
            greedy = {part[1:-2] for part in _labels(uri) if part.endswith("+}")}

        def ctx_for(name, member):
            s = member.serialization
            loc = s.get("location", "body") if rest or s.get("location") == "statusCode" else "body"
            if s.get("hostLabel"):
                return Context("body", host_label=True)
            if loc == "uri":
                return Context("uri", greedy=s.get("name", name) in greedy)
            if loc == "querystring":
                return Context("querystring", reserved_query=reserved)
            return Context(loc)

        return self._structure(shape, mode, 0, ctx_for)

    def _structure(self, shape, mode, depth, ctx_for=None) -> dict:
        # Event streams exist on output only, as a top-level member (the harness serves them).
        streams = ctx_for is not None and self.direction == "output"
        members = {
            name: m for name, m in shape.members.items()
            if streams or not (m.serialization.get("eventstream") or m.metadata.get("eventstream"))
        }
        if shape.is_tagged_union:
            if not members:
                return {}
            name = self.rng.choice(sorted(members))
            return {name: self._member(name, members[name], mode, depth, ctx_for, True)}
        # An event-stream operation always answers with its stream ("minimal": an empty one).
        required = set(shape.required_members) | {
            n for n, m in members.items() if m.serialization.get("eventstream")}
        chosen = []
        for name in members:
            if name in required:
                chosen.append(name)
            elif depth >= MAX_DEPTH or mode == "minimal":
                continue
            elif mode == "full" or self.rng.random() < 0.5:
                chosen.append(name)
        if not chosen and members and self.non_empty_structures:
            chosen.append(self.rng.choice(sorted(members)))
        if ctx_for is not None and self.direction == "input":
            # Content-Length is the transport's: botocore lets an explicit value override the
            # real body length, which no HTTP server could then read correctly.
            chosen = [n for n in chosen if n in required or members[n].serialization.get(
                "name", "").lower() != "content-length" or members[n].serialization.get("location") != "header"]
        if self.xml:
            # Two members that serialize to the same XML element name (S3's deprecated
            # CloudFunctionConfiguration.Event next to the flattened Events list) cannot both
            # be told apart on the wire: leave such members out unless required.
            names = Counter(_xml_name(n, m) for n, m in members.items())
            chosen = [n for n in chosen if n in required or names[_xml_name(n, members[n])] == 1]
        return {name: self._member(name, members[name], mode, depth, ctx_for, name in required)
                for name in chosen}

    def _member(self, name, member, mode, depth, ctx_for, required):
        ctx = ctx_for(name, member) if ctx_for else BODY
        if member.serialization.get("eventstream"):
            return self._event_stream(member, mode, depth)
        if ctx.location == "statusCode":
            return self.rng.choice((200, 201, 202))
        if ctx.location == "headers":
            return self._header_map(member, mode)
        if ctx.location == "querystring" and member.type_name == "map":
            return self._query_map(member, mode, ctx)
        return self.value(member, mode, ctx, depth + 1, required)

    # --- containers -----------------------------------------------------------------------

    def _size(self, shape, mode, depth, non_empty=False) -> int:
        lo = int(shape.metadata.get("min", 0))
        hi = int(shape.metadata.get("max", 1 << 30))
        if non_empty:
            lo = max(lo, 1)
        if mode == "minimal" or depth >= MAX_DEPTH:
            n = lo
        elif mode == "full":
            n = self.rng.randint(max(lo, 1), max(lo, 2))
        else:
            n = self.rng.randint(lo, max(lo, 3))
        return min(n, hi)

    def _list(self, shape, mode, ctx, depth, required=False):
        # Lists the wire cannot carry empty: header lists (no header is sent), and, when the
        # member is required, query-string lists and flattened XML lists (nothing is sent).
        invisible_empty = ctx.location in ("header", "querystring") or (
            self.xml_input and shape.serialization.get("flattened"))
        n = self._size(shape, mode, depth,
                       self.non_empty_lists or ctx.location == "header" or (required and invisible_empty))
        item_ctx = Context(ctx.location, ctx.greedy, ctx.host_label, True, ctx.reserved_query)
        return [self.value(shape.member, mode, item_ctx, depth + 1) for _ in range(n)]

    def _map(self, shape, mode, depth):
        n = self._size(shape, mode, depth, self.non_empty_maps)
        out = {}
        for _ in range(n * 3):  # keys may collide (small enums): retry a few times
            if len(out) >= n:
                break
            key = self._string(shape.key, BODY)
            out[key] = self.value(shape.value, mode, BODY, depth + 1)
        return out

    def _header_map(self, shape, mode):
        n = self._size(shape, mode, 0)
        out = {}
        for _ in range(n):
            key = "k" + self._chars(_TOKEN_CHARS, self.rng.randint(1, 8))
            out[key] = self._header_text(self.rng.randint(1, 12))
        return out

    def _query_map(self, shape, mode, ctx):
        n = self._size(shape, mode, 0)
        out = {}
        reserved = {r.lower() for r in ctx.reserved_query}
        while len(out) < n:
            key = "q" + self._chars(_PLAIN, self.rng.randint(1, 8))
            if key.lower() in reserved:
                continue
            if shape.value.type_name == "list":
                out[key] = [self._string(shape.value.member, Context("querystring"))
                            for _ in range(self.rng.randint(1, 2))]
            else:
                out[key] = self._string(shape.value, Context("querystring"))
        return out

    def _event_stream(self, shape, mode, depth):
        kinds = sorted(n for n, m in shape.members.items() if not m.metadata.get("exception"))
        faults = sorted(n for n, m in shape.members.items() if m.metadata.get("exception"))
        if mode == "minimal":
            names = []
        elif mode == "full":
            names = self.rng.sample(kinds, len(kinds)) + ([self.rng.choice(faults)] if faults else [])
        else:
            names = [self.rng.choice(kinds) for _ in range(self.rng.randint(0, 4))]
            if self.rng.random() < 0.5:
                names.append(self.rng.choice(faults + [STREAM_ERROR]))
        events = []
        for name in names:
            if name == STREAM_ERROR:
                code = "Stream" + self._chars(_PLAIN, self.rng.randint(1, 8)) if self.rng.random() < 0.8 else None
                message = self._chars(_PLAIN + _SPECIAL, self.rng.randint(0, 20))
                events.append({name: {"Code": code, "Message": message}})
            else:
                events.append({name: self._structure(shape.members[name], mode, depth + 1)})
        return events

    # --- scalars --------------------------------------------------------------------------

    def _chars(self, alphabet, n) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def _header_text(self, n) -> str:
        if n <= 0:
            return ""
        text = self._chars(_HEADER_CHARS, n)
        # No blanks at either end: HTTP strips optional whitespace around field values.
        return self.rng.choice(_PLAIN) + text[1:-1] + self.rng.choice(_PLAIN) if n > 1 else \
            self.rng.choice(_PLAIN)

    def _string(self, shape, ctx: Context) -> str:
        enum = shape.enum
        if enum:
            return self.rng.choice(enum)
        lo = int(shape.metadata.get("min", 0))
        hi = int(shape.metadata.get("max", 1 << 30))
        if ctx.location == "uri" or ctx.host_label or (ctx.location == "header" and ctx.list_item):
            lo = max(lo, 1)
        n = min(hi, lo + self.rng.randint(0, 14))
        if ctx.host_label:
            text = self._chars(_DNS_CHARS, n)
            return text if text[0] != "-" else "a" + text[1:]
        if ctx.location == "header":
            return self._header_text(n)
        alphabet = _PLAIN + _SPECIAL if self.rng.random() < 0.7 else _PLAIN
        text = self._chars(alphabet, n)
        if ctx.location == "uri" and text.strip(".") == "":
            text = "x" + text[1:]
        return text

    def _integer(self, shape, ctx):
        bounds = _INT64 if shape.type_name == "long" else _INT32
        lo = int(shape.metadata.get("min", bounds[0]))
        hi = int(shape.metadata.get("max", bounds[1]))
        roll = self.rng.random()
        if roll < 0.1:
            return lo
        if roll < 0.2:
            return hi
        small_lo, small_hi = max(lo, -1000), min(hi, 100000)
        if small_lo <= small_hi and roll < 0.8:
            return self.rng.randint(small_lo, small_hi)
        return self.rng.randint(lo, hi)

    def _float(self, shape):
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        roll = self.rng.random()
        if lo is None and hi is None and roll < 0.04:
            return self.rng.choice((math.inf, -math.inf, math.nan))
        lo = -1e6 if lo is None else float(lo)
        hi = 1e6 if hi is None else float(hi)
        if roll < 0.1 and shape.type_name == "double" and lo <= -1e6 and hi >= 1e6:
            # magnitudes that print in exponent form ("1.5e-07", "3.2e+300")
            value = self.rng.choice((-1.0, 1.0)) * self.rng.uniform(1, 10) * 10.0 ** self.rng.choice((-300, -7, 21, 300))
        elif roll < 0.15:
            value = lo
        elif roll < 0.25:
            value = float(self.rng.randint(math.ceil(lo), math.floor(hi))) if math.ceil(lo) <= math.floor(hi) else lo
        else:
            value = self.rng.uniform(lo, hi)
        if shape.type_name == "float":
            # 32-bit exact, and still inside [lo, hi].
            value = f32(value)
            if value < lo or value > hi:
                value = max(f32(lo), lo)
        return value

    def _timestamp(self):
        seconds = self.rng.randint(_EPOCH_MIN, _EPOCH_MAX)
        if self.direction == "input":
            micro = self.rng.choice((0, self.rng.randint(0, 999999)))
        else:
            micro = self.rng.choice((0, self.rng.randint(0, 999) * 1000))
        return _dt.datetime.fromtimestamp(seconds, _dt.UTC).replace(microsecond=micro)

    def _blob(self, shape):
        lo = int(shape.metadata.get("min", 0))
        hi = int(shape.metadata.get("max", 1 << 30))
        n = min(hi, lo + self.rng.randint(0, 40))
        return self.rng.randbytes(n)

    def _document(self, depth, top_dict=False):
        """A small JSON value (documents, jsonvalue strings)."""

        def scalar():
            return self.rng.choice((
                self._chars(_PLAIN + " \u00e9", self.rng.randint(0, 6)),
                self.rng.randint(-1000, 1000),
                self.rng.random() < 0.5,
                None,
            ))

        if top_dict or self.rng.random() < 0.6:
            return {
                "k" + str(i): (scalar() if self.rng.random() < 0.7 or depth > 2
                               else [scalar(), {"n": scalar()}])
                for i in range(self.rng.randint(0, 3))
            }
        value = scalar()
        # Never a bare null: a JSON null member is how an absent member looks on the wire.
        return value if value is not None else "null-free"


def _xml_name(name, member) -> str:
    if member.serialization.get("location"):
        return "@" + name  # not an element: headers, URI, query string
    if member.type_name == "list" and member.serialization.get("flattened"):
        return member.member.serialization.get("name") or member.serialization.get("name", name)
    return member.serialization.get("name", name)


def _labels(uri: str):
    out, i = [], 0
    while True:
        start = uri.find("{", i)
        if start < 0:
            return out
        end = uri.find("}", start)
        out.append(uri[start:end + 1])
        i = end + 1
