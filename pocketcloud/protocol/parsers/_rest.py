"""HTTP bindings shared by the rest-json and rest-xml parsers.

A REST input member lives in one of: a URI label ("uri"), a query-string key
("querystring", including a map member that takes every otherwise unclaimed key), a header
("header"), a header-name prefix ("headers", e.g. S3's x-amz-meta-), the payload (the
input's "payload" member: a structure document, raw blob/text, or a stream), or else the
body document. A plan with all of that is compiled once per operation; the protocol module
supplies how a body document is read (JSON or XML).
"""

from __future__ import annotations

import base64
import json
import re

from .. import aws_chunked
from ..errors import ServiceError
from ..http import PRESIGNED_QUERY_KEYS, BodyStream
from ..uri import compile_template, decoded_label
from . import _errors
from ._converters import bad_body_message
from ._values import (
    TEXT_CONVERTERS,
    BadValue,
    b64_to_bytes,
    text_identity,
    text_to_timestamp,
)

# Presigned-URL keys (and botocore's x-id operation marker) are never members of a
# catch-all querystring map.
_PRESIGN_KEYS = PRESIGNED_QUERY_KEYS | {"x-id"}


class RestPlan:
    __slots__ = (
        "body",
        "content_encoding",
        "content_length",
        "empty",
        "header_maps",
        "header_map_prefixes",
        "header_index",
        "host_labels",
        "labels",
        "labels_plain",
        "label_count",
        "binds_query",
        "payload",
        "payload_kind",
        "payload_required",
        "query",
        "query_map",
        "reserved_query",
        "template",
    )


# --- value conversion for each location ---------------------------------------------------


def _text_conv(shape):
    return TEXT_CONVERTERS.get(shape.type_name, text_identity)


def _json_header(text: str):
    try:
        return json.loads(base64.b64decode(text))
    except ValueError as exc:
        raise BadValue("expected base64-encoded JSON") from exc


def split_header_list(text: str) -> list[str]:
    """'a, "b,c", "d\\"e"' -> ['a', 'b,c', 'd"e'] (RFC 7230 list with quoted strings)."""
    if '"' not in text:
        return [part.strip() for part in text.split(",")]
    items = []
    i, n = 0, len(text)
    while i <= n:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            value = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
            i += 1  # closing quote
            while i < n and text[i] != ",":
                i += 1
            items.append("".join(value))
        else:
            end = text.find(",", i)
            if end < 0:
                end = n
            items.append(text[i:end].strip())
            i = end
        i += 1
    return items


def _header_conv(shape):
    kind = shape.type_name
    if kind == "list":
        item = _header_conv(shape.member)
        return lambda text: [item(part) for part in split_header_list(text)]
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return _json_header
    if kind == "timestamp":
        return text_to_timestamp  # HTTP-date by default; ISO 8601 and epoch accepted too
    if kind == "integer" or kind == "long":
        return TEXT_CONVERTERS["integer"]  # int() itself ignores surrounding whitespace
    if kind == "boolean":
        return TEXT_CONVERTERS["boolean"]
    if kind == "blob":
        return b64_to_bytes
    return _text_conv(shape)


# --- plan ---------------------------------------------------------------------------------


def compile_rest_plan(operation_model, compile_body) -> RestPlan:
    """compile_body(shape, members or None) -> converter of a decoded body document."""
    plan = RestPlan()
    shape = operation_model.input_shape
    http = operation_model.http
    plan.template = compile_template(http.get("requestUri", "/"))
    plan.labels = []
    plan.labels_plain = False
    plan.label_count = 0
    plan.binds_query = False
    plan.query = {}
    plan.query_map = None
    plan.header_index = {}
    plan.header_maps = []
    plan.header_map_prefixes = ()
    plan.payload = None
    plan.payload_kind = None
    plan.payload_required = False
    plan.body = None
    plan.host_labels = None
    plan.content_encoding = None
    plan.content_length = None
    plan.empty = shape is None
    plan.reserved_query = {key for key, _ in plan.template.required_query} | _PRESIGN_KEYS
    if shape is None:
        return plan
    body_members = []
    payload = shape.serialization.get("payload")
    host_label_members = []
    for name, member in shape.members.items():
        ser = member.serialization
        location = ser.get("location")
        wire = ser.get("name", name)
        if ser.get("hostLabel"):
            host_label_members.append(name)
        if location == "uri":
            plan.labels.append((wire, name, _text_conv(member)))
        elif location == "querystring":
            if member.type_name == "map":
                value = member.value
                if value.type_name == "list":
                    plan.query_map = (name, True, _text_conv(value.member))
                else:
                    plan.query_map = (name, False, _text_conv(value))
            elif member.type_name == "list":
                plan.query[wire] = (name, True, _text_conv(member.member))
                plan.reserved_query.add(wire)
            else:
                plan.query[wire] = (name, False, _text_conv(member))
                plan.reserved_query.add(wire)
        elif location == "header":
            header = wire.lower()
            conv = _header_conv(member)
            plan.header_index[header] = (name, None if conv is text_identity else conv)  # None: the text as it is
            if header == "content-encoding":
                plan.content_encoding = name
            elif header == "content-length":
                plan.content_length = name
        elif location == "headers":
            plan.header_maps.append((wire.lower(), name))
        elif location is None and name != payload:
            body_members.append(name)
    if payload is not None:
        member = shape.members[payload]
        plan.payload = payload
        plan.payload_required = payload in shape.required_members
        if member.type_name == "blob" and member.serialization.get("streaming"):
            plan.payload_kind = "stream"
        elif member.type_name in ("blob", "string"):
            plan.payload_kind = member.type_name
        else:
            plan.payload_kind = "document"
            plan.body = compile_body(member, None)
    elif body_members:
        plan.body = compile_body(shape, frozenset(body_members))
    # Labels whose wire name is the member's and whose value is text (S3's Bucket and Key): the
    # router's decoded values are the members as they are.
    plan.labels_plain = all(label == name and conv is text_identity for label, name, conv in plan.labels)
    plan.label_count = len(plan.labels)
    plan.binds_query = bool(plan.query or plan.query_map)
    plan.header_map_prefixes = tuple(prefix for prefix, _ in plan.header_maps)
    endpoint = operation_model.endpoint
    if host_label_members and endpoint and endpoint.get("hostPrefix"):
        plan.host_labels = _host_prefix_regex(endpoint["hostPrefix"]), tuple(host_label_members)
    return plan


def _host_prefix_regex(host_prefix: str):
    pattern = re.escape(host_prefix)
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[A-Za-z0-9.\\-]+?)", pattern)
    return re.compile("^" + pattern)


# --- parsing ------------------------------------------------------------------------------


def uri_labels(plan: RestPlan, request) -> dict[str, str]:
    """The URI label values of a request the router did not match (it hands its own over)."""
    template = plan.template
    match = template.regex.match(request.path)
    if match is None:
        return {}
    return {name: decoded_label(match.group(i + 1)) for i, name in enumerate(template.labels)}


def bind_locations(plan: RestPlan, request, out: dict) -> None:
    """Fill out with the URI, query-string and header members; raises BadValue. (out may be
    the router's label values already: see parse_rest.)"""
    if out is not request.uri_params and plan.labels:
        params = request.uri_params
        if params is None:
            params = uri_labels(plan, request)
        if plan.labels_plain and len(params) == plan.label_count:
            out.update(params)
        else:
            for label, name, conv in plan.labels:
                value = params.get(label)
                if value is not None:
                    try:
                        out[name] = conv(value)
                    except BadValue as exc:
                        exc.where = f"URI label {label}"
                        raise
    if plan.binds_query and request.query_string:
        _bind_query(plan, request.query, out)
    headers = request.headers
    header_maps = plan.header_maps
    prefixes = plan.header_map_prefixes
    index = plan.header_index
    header = None
    try:
        if len(headers) < len(index):  # S3 PutObject models 40-odd headers; requests carry a few
            for header, value in headers.items():
                entry = index.get(header)
                if entry is not None:
                    name, conv = entry
                    out[name] = value if conv is None else conv(value)
                elif prefixes and header.startswith(prefixes):  # a modelled header is no map's
                    _bind_prefixed(header_maps, header, value, out)
        else:
            for header, (name, conv) in index.items():
                value = headers.get(header)
                if value is not None:
                    out[name] = value if conv is None else conv(value)
            if prefixes:
                for header, value in headers.items():
                    if header.startswith(prefixes):
                        _bind_prefixed(header_maps, header, value, out)
    except BadValue as exc:
        exc.where = f"header {header}"
        raise
    if plan.host_labels is not None:
        regex, names = plan.host_labels
        if any(n not in out for n in names):
            match = regex.match(request.host)
            if match:
                for n in names:
                    if n not in out and match.group(n):
                        out[n] = match.group(n)


def _bind_prefixed(header_maps, header: str, value: str, out: dict) -> None:
    """A header of a prefix-named map member (S3's x-amz-meta-*) into that map."""
    for prefix, name in header_maps:
        if header.startswith(prefix) and len(header) > len(prefix):
            found = out.get(name)
            if found is None:
                found = out[name] = {}
            found[header[len(prefix):]] = value


def _bind_query(plan: RestPlan, pairs, out: dict) -> None:
    members = plan.query
    query_map = plan.query_map
    reserved = plan.reserved_query
    mapped = None
    for key, value in pairs:
        entry = members.get(key)
        if entry is not None:
            name, is_list, conv = entry
            try:
                converted = conv(value)
            except BadValue as exc:
                exc.where = f"query parameter {key}"
                raise
            if is_list:
                items = out.get(name)
                if items is None:
                    out[name] = [converted]
                else:
                    items.append(converted)
            elif name not in out:  # the first of repeated keys wins
                out[name] = converted
        elif query_map is not None and key not in reserved:
            name, of_lists, conv = query_map
            if mapped is None:
                mapped = out[name] = {}
            try:
                converted = conv(value)
            except BadValue as exc:
                exc.where = f"query parameter {key}"
                raise
            if of_lists:
                mapped.setdefault(key, []).append(converted)
            elif key not in mapped:
                mapped[key] = converted


def payload_stream(request, chunked: bool | None = None) -> BodyStream | None:
    """The request body as a BodyStream, aws-chunked framing removed (None if no body).
    chunked: whether it is aws-chunked, when the caller knows."""
    stream = request.stream
    headers = request.headers
    if stream is None:
        if not request.body:
            return None
        stream = BodyStream.from_bytes(request.body)
    if chunked if chunked is not None else aws_chunked.is_aws_chunked(headers):
        chain = request.chunk_signatures
        if chain is None:
            stream = aws_chunked.AwsChunkedStream(stream, headers)
        else:
            stream = aws_chunked.AwsChunkedStream(
                stream, headers, verify_chunk=lambda signature, digest: chain.verify_chunk_hash(digest, signature),
                verify_trailer=lambda signature, trailer: chain.verify_trailer(trailer, signature))
    return stream


def payload_bytes(request) -> bytes:
    """The whole request body, aws-chunked framing removed."""
    body = request.body
    if body and aws_chunked.is_aws_chunked(request.headers):
        body, _trailers = aws_chunked.decode_bytes(body, request.headers)
    return body


def fix_chunked_headers(plan: RestPlan, request, out: dict) -> None:
    """What S3 reports for an aws-chunked upload: ContentEncoding without aws-chunked,
    ContentLength the decoded length."""
    headers = request.headers
    if not aws_chunked.is_aws_chunked(headers):
        return
    _fix_chunked(plan, headers, out)


def _fix_chunked(plan: RestPlan, headers, out: dict) -> None:
    if plan.content_encoding is not None and plan.content_encoding in out:
        stripped = aws_chunked.strip_aws_chunked(out[plan.content_encoding])
        if stripped is None:
            del out[plan.content_encoding]
        else:
            out[plan.content_encoding] = stripped
    if plan.content_length is not None:
        decoded = headers.get("x-amz-decoded-content-length")
        if decoded is not None and decoded.strip().isdecimal():
            out[plan.content_length] = int(decoded)
        else:
            out.pop(plan.content_length, None)


def parse_rest(plan: RestPlan, operation_model, request, protocol: str, read_document) -> dict:
    """The whole REST input dict.

    read_document(operation_model, body_bytes) -> decoded document (JSON value / XML root),
    or None for an empty document; it raises the protocol's malformed-body ServiceError.
    """
    if plan.empty:
        return {}
    out = request.uri_params
    # Labels whose values are the members as they are (S3's Bucket and Key): the router's dict,
    # made for this request, becomes the input, rather than copied into a new one.
    if out is None or not plan.labels_plain or len(out) != plan.label_count:
        out = {}
    try:
        bind_locations(plan, request, out)
    except BadValue as exc:
        where = getattr(exc, "where", "a parameter")
        raise _errors.bad_value(
            operation_model, protocol, f"Invalid value for {where}: {exc}"
        ) from None
    kind = plan.payload_kind
    if kind == "stream" or (kind == "blob" and request.stream is not None):
        # A blob payload the gateway chose to stream (botocore counts every blob payload as
        # streaming input) cannot be read here, synchronously: hand the stream over.
        chunked = aws_chunked.is_aws_chunked(request.headers)
        if not chunked and request.stream is None:  # read whole (most bodies): payload_stream's first case
            body = request.body
            if body:
                out[plan.payload] = BodyStream.from_bytes(body)
            return out
        stream = payload_stream(request, chunked)
        if stream is not None:
            out[plan.payload] = stream
        if chunked:
            _fix_chunked(plan, request.headers, out)
        return out
    if request.stream is not None and not request.body:
        raise ServiceError(
            "InternalError", "a non-streaming operation was handed a streamed body", 500
        )
    body = payload_bytes(request)
    fix_chunked_headers(plan, request, out)
    if kind is None:
        if plan.body is not None and body:
            document = read_document(operation_model, body)
            if document is not None:
                out.update(_convert(plan.body, document, operation_model, protocol))
        return out
    if kind == "document":
        document = read_document(operation_model, body) if body else None
        if document is not None:
            value = _convert(plan.body, document, operation_model, protocol)
            if value or plan.payload_required or not _is_empty_object_body(body):
                out[plan.payload] = value
        return out
    if body or plan.payload_required:
        if kind == "string":
            try:
                out[plan.payload] = body.decode("utf-8")
            except UnicodeDecodeError:
                raise _errors.malformed(
                    operation_model, protocol, "The request body is not valid UTF-8 text"
                ) from None
        else:
            out[plan.payload] = bytes(body)
    return out


def _is_empty_object_body(body: bytes) -> bool:
    # rest-json sends "{}" for an absent structure payload: read that as absent.
    return body.strip() == b"{}"


def _convert(conv, document, operation_model, protocol):
    try:
        return conv(document)
    except BadValue as exc:
        raise _errors.malformed(operation_model, protocol, bad_body_message(exc)) from None


def typed_members(operation_model) -> frozenset:
    """The input members this parser converts to their types itself: URI labels, query keys,
    headers, and a raw (blob or string) payload; not those read from a body document."""
    shape = operation_model.input_shape
    if shape is None:
        return frozenset()
    payload = shape.serialization.get("payload")
    raw = payload is not None and shape.members[payload].type_name in ("blob", "string")
    return frozenset(name for name, member in shape.members.items()
                     if member.serialization.get("location") in ("uri", "querystring", "header", "headers")
                     or (raw and name == payload))


def make_parse(protocol: str, compile_body, read_document):
    """(parse, parser) for a REST protocol: parse(operation_model, request) -> input dict, and
    parser(operation_model) -> that parse for one operation, its plan at hand. The two hooks are
    compile_rest_plan's compile_body and parse_rest's read_document."""
    parsers: dict = {}  # operation model -> its parse (each compiles its plan once)

    def parse(operation_model, request) -> dict:
        return parser(operation_model)(request)

    def parser(operation_model):
        found = parsers.get(operation_model)
        if found is not None:
            return found
        plan = compile_rest_plan(operation_model, compile_body)

        def parse_operation(request) -> dict:
            try:
                return parse_rest(plan, operation_model, request, protocol, read_document)
            except ServiceError:
                raise
            except Exception as exc:  # never let odd input become a 500
                raise _errors.unexpected(operation_model, protocol, exc) from exc

        parsers[operation_model] = parse_operation
        return parse_operation

    return parse, parser
