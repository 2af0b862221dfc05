"""Safe XML reading for rest-xml request bodies, and XML element -> input value by shape.

Parsing uses expat directly and refuses any DOCTYPE or entity declaration, so no entity is
ever expanded (billion laughs, external entities): a request body has no business carrying
a DTD, and S3 answers such a body with MalformedXML too. Element names lose their namespace
prefix; attribute names are kept as written ("xsi:type") and also matched by local name.

Shape rules (as botocore's rest-xml serializer writes them):
  structure  child elements named by each member's locationName (else the member name);
             xmlAttribute members are attributes of the structure's own element
  list       <Name><member>..</member>...</Name>, or, flattened, repeated <Name> elements
  map        <Name><entry><key/><value/></entry>...</Name>, or, flattened, repeated <Name>
             elements holding <key/><value/>; key/value names from their locationName
  scalars    element text; timestamps ISO 8601 by default, blobs base64
"""

from __future__ import annotations

from xml.parsers import expat

from ._converters import compile_shared, record_path
from ._values import TEXT_CONVERTERS, BadValue, text_identity


class MalformedXml(ValueError):
    """The body is not well-formed XML, or declares a DTD or entities."""


class Element:
    __slots__ = ("attrs", "children", "tag", "text")

    def __init__(self, tag: str, attrs: dict):
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element] = []
        self.text: list[str] = []

    def text_value(self) -> str:
        text = self.text
        if not text:
            return ""
        return text[0] if len(text) == 1 else "".join(text)

    def __repr__(self):  # debugging aid
        return f"<{self.tag} {self.attrs} {len(self.children)} children {self.text_value()[:20]!r}>"


def _refuse(*_args):
    raise MalformedXml("DTDs and entity declarations are not allowed")


def parse_xml(data) -> Element:
    """bytes/str -> root Element; raises MalformedXml."""
    root_holder: list[Element] = []
    stack: list[Element] = []

    def start(tag, attrs):
        node = Element(tag.rpartition(":")[2], attrs)
        if stack:
            stack[-1].children.append(node)
        elif root_holder:
            raise MalformedXml("more than one root element")
        else:
            root_holder.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].text.append(data)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    except AttributeError:  # pragma: no cover
        pass
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise MalformedXml(str(exc)) from None
    if not root_holder:
        raise MalformedXml("no root element")
    return root_holder[0]


# --- element -> value by shape -------------------------------------------------------------


def _scalar(shape):
    conv = TEXT_CONVERTERS.get(shape.type_name, text_identity)
    if conv is text_identity:
        return Element.text_value

    def convert(node):
        return conv(node.text_value().strip())

    return convert


def compile_converter(shape, members=None):
    """A function Element -> input value for shape; members limits a structure's members."""
    return _compile(shape, {}, {}, members)


def _compile(shape, memo, building, only=None):
    kind = shape.type_name
    if kind not in ("structure", "list", "map"):
        return _scalar(shape)
    if only is not None:  # a REST body's members: a converter of its own, never shared
        return _container(shape, kind, memo, building, only)
    key = (shape.name, kind, bool(shape.serialization.get("flattened")))
    return compile_shared(key, memo, building, lambda: _container(shape, kind, memo, building))


def _container(shape, kind, memo, building, only=None):
    if kind == "structure":
        return _structure(shape, memo, building, only)
    if kind == "list":
        return _list(_compile(shape.member, memo, building))
    return _map(shape, memo, building)


_SINGLE, _FLAT_LIST, _FLAT_MAP = 0, 1, 2


def _structure(shape, memo, building, only):
    table = {}
    attributes = []
    for name, member in shape.members.items():
        if only is not None and name not in only:
            continue
        ser = member.serialization
        wire = ser.get("name", name)
        if ser.get("xmlAttribute"):
            conv = TEXT_CONVERTERS.get(member.type_name, text_identity)
            attributes.append((wire, wire.rpartition(":")[2], name, conv))
            continue
        wire = wire.rpartition(":")[2]
        if member.type_name == "list" and ser.get("flattened"):
            # each repeated element is one item: convert it as the list's member
            table[wire] = (name, _compile(member.member, memo, building), _FLAT_LIST)
        elif member.type_name == "map" and ser.get("flattened"):
            table[wire] = (name, _entry(member, memo, building), _FLAT_MAP)
        else:
            table[wire] = (name, _compile(member, memo, building), _SINGLE)
    get = table.get

    def convert(node):
        out = {}
        for child in node.children:
            entry = get(child.tag)
            if entry is None:
                continue
            name, conv, how = entry
            try:
                if how == _SINGLE:
                    out[name] = conv(child)
                elif how == _FLAT_LIST:
                    items = out.get(name)
                    if items is None:
                        items = out[name] = []
                    items.append(conv(child))
                else:
                    mapping = out.get(name)
                    if mapping is None:
                        mapping = out[name] = {}
                    conv(child, mapping)
            except BadValue as exc:
                raise record_path(exc, name)
        if attributes and node.attrs:
            attrs = node.attrs
            for wire, local, name, conv in attributes:
                value = attrs.get(wire)
                if value is None:
                    for attr_name, attr_value in attrs.items():
                        if attr_name.rpartition(":")[2] == local:
                            value = attr_value
                            break
                if value is not None:
                    try:
                        out[name] = conv(value)
                    except BadValue as exc:
                        raise record_path(exc, name)
        return out

    return convert


def _list(item):
    def convert(node):
        out = []
        for i, child in enumerate(node.children):
            try:
                out.append(item(child))
            except BadValue as exc:
                raise record_path(exc, i)
        return out

    return convert


def _entry(shape, memo, building):
    """Fill mapping from one <entry> (or flattened map element) holding key and value."""
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    key_conv = _compile(shape.key, memo, building)
    value_conv = _compile(shape.value, memo, building)

    def fill(entry, mapping):
        key = value = None
        have_value = False
        for part in entry.children:
            if part.tag == key_name:
                key = key_conv(part)
            elif part.tag == value_name:
                value = value_conv(part)
                have_value = True
        if key is None or not have_value:
            return
        mapping[key] = value

    return fill


def _map(shape, memo, building):
    fill = _entry(shape, memo, building)

    def convert(node):
        mapping = {}
        for entry in node.children:
            try:
                fill(entry, mapping)
            except BadValue as exc:
                raise record_path(exc, entry.tag)
        return mapping

    return convert
