"""XML writing shared by the query, ec2 and rest-xml serializers.

Each shape compiles once into a writer: a function `write(out, value)` that appends text
pieces to the list `out` (joined once at the end). Structure plans live in a PlanCache (see
_plans), one per Flavor, so a structure shared by many operations compiles once and recursive
shapes work.

The element naming follows what botocore's XML parser (and every other SDK) reads back:
member locationName or member name; lists wrapped in <member> (<item> for EC2) unless
flattened; a flattened list repeats the element named by its member's locationName when
present; maps as <entry><key/><value/></entry> (the entry level dropped when flattened).
"""

from __future__ import annotations

import re

from ..static import Static
from ._plans import PlanCache, body_members
from ._values import (
    base64_text,
    bool_text,
    float_text,
    int_text,
    timestamp_text_formatter,
)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# Characters text content must not carry verbatim: markup, '\r' (XML parsers would normalise
# it to '\n'), and what XML 1.0 forbids outright (C0 controls other than tab/newline/CR,
# lone surrogates, U+FFFE/U+FFFF), which no parser accepts even as a character reference, so
# those become U+FFFD rather than making the whole document unreadable.
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_REPLACEMENTS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\r": "&#13;",
    "\n": "&#10;",
    "\t": "&#9;",
}


def _replace(match: re.Match) -> str:
    return _REPLACEMENTS.get(match.group(), "\ufffd")


def escape(value) -> str:
    """Text content of an element."""
    text = value if type(value) is str else str(value)
    # Fast path (most text): printable, no markup. isprintable() is False for every
    # control character, surrogate and non-character, which then take the slow path.
    if text.isprintable() and "&" not in text and "<" not in text and ">" not in text:
        return text
    return _TEXT_SPECIAL.sub(_replace, text)


def escape_attr(value) -> str:
    text = value if type(value) is str else str(value)
    if _ATTR_SPECIAL.search(text) is None:
        return text
    return _ATTR_SPECIAL.sub(_replace, text)


def namespace_attr(xml_namespace) -> str:
    """The xmlns declaration for a model xmlNamespace trait ({"uri", "prefix"?} or a string)."""
    if not xml_namespace:
        return ""
    if isinstance(xml_namespace, str):
        return f' xmlns="{escape_attr(xml_namespace)}"'
    uri = escape_attr(xml_namespace.get("uri", ""))
    prefix = xml_namespace.get("prefix")
    return f' xmlns:{prefix}="{uri}"' if prefix else f' xmlns="{uri}"'


def member_tag(shape, member_name: str) -> str:
    """The element name a structure member is written under (mirrors botocore's reader)."""
    ser = shape.serialization
    if shape.type_name == "list" and ser.get("flattened"):
        inner = shape.member.serialization.get("name")
        if inner:
            return inner
    return ser.get("name") or member_name


class StructPlan:
    """How one structure's members are written: element writers and attribute members."""

    __slots__ = ("attributes", "elements")

    def __init__(self):
        # member name -> (text formatter, opening tag, closing tag, None) for scalars, which
        # are written inline (the hot path), or (None, None, None, write(out, value)).
        self.elements: dict[str, tuple] = {}
        self.attributes: tuple = ()  # (member name, attribute name) for xmlAttribute members

    def write_body(self, out: list, value: dict) -> None:
        elements = self.elements
        append = out.append
        for name, item in value.items():
            if item is None:
                continue
            element = elements.get(name)
            if element is None:
                continue
            fmt = element[0]
            if fmt is not None:
                append(element[1] + fmt(item) + element[2])
            else:
                element[3](out, item)

    def attribute_text(self, value: dict) -> str:
        parts = []
        for name, attr in self.attributes:
            item = value.get(name)
            if item is not None:
                parts.append(f' {attr}="{escape_attr(item)}"')
        return "".join(parts)


class Flavor:
    """Per-protocol differences: the default list item element name. Each flavor compiles
    its own structure plans: flavor.struct_plan(shape) -> StructPlan."""

    def __init__(self, name: str, list_item: str):
        self.name = name
        self.list_item = list_item
        self.struct_plan = PlanCache(StructPlan, self._fill).plan

    def _fill(self, plan: StructPlan, shape) -> None:
        attributes = []
        for name, member in body_members(shape):
            ser = member.serialization
            if ser.get("xmlAttribute"):
                attributes.append((name, ser.get("name") or name))
                continue
            tag = member_tag(member, name)
            if member.type_name in ("structure", "list", "map"):
                plan.elements[name] = (None, None, None, writer(member, tag, self))
            else:
                plan.elements[name] = (text_formatter(member), f"<{tag}>", f"</{tag}>", None)
        plan.attributes = tuple(attributes)


QUERY = Flavor("query", "member")
EC2 = Flavor("ec2", "item")
REST_XML = Flavor("rest-xml", "member")


def writer(shape, tag: str, flavor: Flavor, extra_attrs: str = ""):
    """A function write(out, value) that appends `value` as element(s) named `tag`."""
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape, tag, flavor, extra_attrs)
    if kind == "list":
        return _list_writer(shape, tag, flavor)
    if kind == "map":
        return _map_writer(shape, tag, flavor)
    return _scalar_writer(shape, tag, extra_attrs)


def _structure_writer(shape, tag, flavor, extra_attrs=""):
    plan = flavor.struct_plan(shape)
    opening_head = f"<{tag}{extra_attrs}{namespace_attr(shape.serialization.get('xmlNamespace'))}"
    opening = opening_head + ">"
    closing = f"</{tag}>"

    def write_structure(out, value):
        if type(value) is Static:
            text = value.encoded.get(write_structure)
            if text is None:
                part: list = []
                write_structure_fresh(part, value)
                text = value.encoded[write_structure] = "".join(part)
            out.append(text)
            return
        write_structure_fresh(out, value)

    def write_structure_fresh(out, value):
        if plan.attributes:
            out.append(opening_head + plan.attribute_text(value) + ">")
        else:
            out.append(opening)
        plan.write_body(out, value)
        out.append(closing)

    return write_structure


def _list_writer(shape, tag, flavor):
    member = shape.member
    if shape.serialization.get("flattened"):
        write_item = writer(member, tag, flavor)

        def write_flat_list(out, value):
            for item in value:
                if item is not None:
                    write_item(out, item)

        return write_flat_list

    write_item = writer(member, member.serialization.get("name") or flavor.list_item, flavor)
    opening, closing = f"<{tag}>", f"</{tag}>"

    def write_list(out, value):
        out.append(opening)
        for item in value:
            if item is not None:
                write_item(out, item)
        out.append(closing)

    return write_list


def _map_writer(shape, tag, flavor):
    write_key = writer(shape.key, shape.key.serialization.get("name") or "key", flavor)
    write_value = writer(shape.value, shape.value.serialization.get("name") or "value", flavor)
    if shape.serialization.get("flattened"):
        opening, closing = f"<{tag}>", f"</{tag}>"
    else:
        opening, closing = "<entry>", "</entry>"

    def write_entries(out, value):
        for key, item in value.items():
            if item is None:
                continue
            out.append(opening)
            write_key(out, key)
            write_value(out, item)
            out.append(closing)

    if shape.serialization.get("flattened"):
        return write_entries

    outer_open, outer_close = f"<{tag}>", f"</{tag}>"

    def write_map(out, value):
        out.append(outer_open)
        write_entries(out, value)
        out.append(outer_close)

    return write_map


def text_formatter(shape, timestamp_default: str = "iso8601"):
    """value -> element text for a scalar shape."""
    kind = shape.type_name
    if kind in ("string", "character"):
        return escape
    if kind in ("integer", "long", "short", "byte", "bigInteger"):
        return int_text
    if kind == "boolean":
        return bool_text
    if kind in ("float", "double", "bigDecimal"):
        return float_text
    if kind == "timestamp":
        return timestamp_text_formatter(shape.serialization.get("timestampFormat"), timestamp_default)
    if kind == "blob":
        return base64_text
    return escape


def _scalar_writer(shape, tag, extra_attrs=""):
    fmt = text_formatter(shape)
    opening, closing = f"<{tag}{extra_attrs}>", f"</{tag}>"

    def write_scalar(out, value):
        out.append(opening + fmt(value) + closing)

    return write_scalar


def write_extra_fields(out: list, fields: dict, skip) -> None:
    """Unmodelled error details (S3's BucketName, Key...) as simple text elements."""
    for name, value in fields.items():
        if value is None or name in skip or name.startswith("__"):
            continue
        if isinstance(value, bool):
            value = bool_text(value)
        out.append(f"<{name}>{escape(value)}</{name}>")


def to_bytes(out: list) -> bytes:
    return "".join(out).encode("utf-8")
