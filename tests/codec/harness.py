"""The conformance harness: botocore on one side of the wire, our codec on the other.

Each side reads its own model of the operation (an OperationPair, see models.py): botocore's
serializer, parsers and handlers, the generator and the comparison follow botocore's model
(`pair.boto`), our codec gets pocketcloud's (`pair.ours`), as in real use. A difference
between the models fails like a codec bug.

Three checks per operation and protocol:
  input   random valid params -> botocore serializer -> HTTP request -> our parser -> params'
  output  random valid result -> our serializer -> HTTP response -> botocore parser -> result'
          (event streams: the events come back one by one from botocore's EventStream, a
          fault raised by the provider as its EventStreamError; see check_event_stream_output)
  error   ServiceError        -> our error serializer -> botocore parser -> Error.Code/Message
                                 (+ modelled members, the way botocore's client merges them)
Each check returns a list of readable differences ("" list = pass). An exception raised by our
code is a difference too, never a crash of the test.

Everything the wire legitimately changes is normalised here, in one place, with the reason
next to it (see `_wire_view` and `_absent_equivalent`); the generator (random_values.py)
avoids the rest.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import http.client
import io
import math
import traceback
import zlib
from functools import cache
from urllib.parse import urlsplit

from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.exceptions import EventStreamError
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from pocketcloud.protocol import codec
from pocketcloud.protocol.errors import ServiceError, internal_error
from pocketcloud.protocol.http import BodyStream, HttpRequest

from .random_values import STREAM_ERROR

ENDPOINT = "https://x.amazonaws.com"
REQUEST_ID = "req-id"
ERROR_MESSAGE = 'Bad <value> & "quoted" \u00e9 text'

DIRECTIONS = ("input", "output", "error")


class HarnessError(Exception):
    """botocore itself refused what we generated: a bug in the test, not in the codec."""


# --- small helpers ---------------------------------------------------------------------------

def seed_for(*parts) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


def short(value, limit=90) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_exception(exc: BaseException) -> str:
    """One line: the exception and the innermost frame of ours (or botocore's) that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if "/pocketcloud/" in frame.filename or "/botocore/" in frame.filename:
            where = f" at {frame.filename.split('/site-packages/')[-1].split('/work/main/')[-1]}:{frame.lineno}"
            break
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200] + where


@cache
def _serializer(protocol):
    return create_serializer(protocol, include_validation=True)


@cache
def _parser(protocol):
    return create_parser(protocol)


def _read_stream(stream) -> bytes:
    async def read_all():
        return await stream.read()

    return asyncio.run(read_all())


def _collect_chunks(body) -> list[bytes]:
    """HttpResponse.body may be bytes, a sync iterable or an async iterable of chunks."""
    if body is None:
        return []
    if isinstance(body, (bytes, bytearray, memoryview)):
        return [bytes(body)]
    if isinstance(body, str):
        raise TypeError("response body is str, expected bytes")
    if hasattr(body, "__aiter__"):
        async def gather():
            return [bytes(c) async for c in body]

        return asyncio.run(gather())
    return [bytes(c) for c in body]


def _collect_body(body) -> bytes:
    return b"".join(_collect_chunks(body))


# --- timestamp precision ---------------------------------------------------------------------
# What each wire format keeps of a datetime. Inputs: what botocore's serializer (default
# precision) actually sends, probed once per (protocol, location, timestampFormat trait): it
# changed between releases (botocore 1.44 sends epoch timestamps with microseconds, 1.43 whole
# seconds). Outputs: AWS returns milliseconds wherever the format can carry them.

_PROBE_INSTANTS = {  # one instant with three sub-second parts
    micro: _dt.datetime(2001, 2, 3, 4, 5, 6, micro, tzinfo=_dt.UTC)
    for micro in (0, 123000, 123456)
}


def _probe_operation(protocol, location, timestamp_format):
    """A one-member botocore operation: a timestamp in `location` (None: the body), with the
    timestampFormat trait if given."""
    member = {"shape": "Instant"}
    if timestamp_format:
        member["timestampFormat"] = timestamp_format
    request_uri = "/"
    if location == "uri":
        member.update(location="uri", locationName="When")
        request_uri = "/{When}"
    elif location in ("header", "querystring"):
        member.update(location=location, locationName="x-when")
    model = {
        "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "probe", "protocol": protocol,
                     "protocols": [protocol], "jsonVersion": "1.0", "targetPrefix": "Probe",
                     "serviceId": "Probe", "signatureVersion": "v4", "uid": "probe-2020-01-01"},
        "operations": {"Probe": {"name": "Probe", "http": {"method": "POST", "requestUri": request_uri},
                                 "input": {"shape": "ProbeInput", "locationName": "Probe"}}},
        "shapes": {"ProbeInput": {"type": "structure", "required": ["When"],
                                  "members": {"When": member}},
                   "Instant": {"type": "timestamp"}},
    }
    return ServiceModel(model, "probe").operation_model("Probe")


@cache
def _input_ts_unit(protocol, location, timestamp_format) -> str:
    """The precision botocore's serializer puts on the wire for a timestamp member: the same
    instant with 0, .123 and .123456 seconds is serialized and the requests compared."""
    op = _probe_operation(protocol, location, timestamp_format)
    wires = {}
    for micro, instant in _PROBE_INSTANTS.items():
        req = _serializer(protocol).serialize_to_request({"When": instant}, op)
        wires[micro] = (req["url_path"], repr(req["query_string"]),
                        repr(sorted(req["headers"].items())), req["body"])
    if wires[123456] == wires[0]:
        return "second"
    if wires[123456] == wires[123000]:
        return "milli"
    return "micro"


def _truncate(value: _dt.datetime, unit: str) -> _dt.datetime:
    if unit == "second":
        return value.replace(microsecond=0)
    if unit == "milli":
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def _ts_unit(direction, protocol, member, location) -> str:
    if direction == "input":
        # Locations exist in the REST protocols only; the Comparer passes None elsewhere.
        probe_location = location if location in ("header", "querystring", "uri") else None
        return _input_ts_unit(protocol, probe_location, member.serialization.get("timestampFormat"))
    fmt = member.serialization.get("timestampFormat")
    if fmt == "rfc822" or (fmt is None and location == "header"):
        return "second"
    return "milli"


# --- comparison ------------------------------------------------------------------------------

class Comparer:
    """Structural comparison of an expected value and what came off the wire."""

    def __init__(self, direction, protocol, operation_model):
        self.direction = direction
        self.protocol = protocol
        self.op = operation_model
        self.rest = protocol in ("rest-json", "rest-xml")
        # Where values travel as XML: rest-xml both ways, query/ec2 responses.
        self.xml = protocol == "rest-xml" or (direction == "output" and protocol in ("query", "ec2"))
        self.form_input = direction == "input" and protocol in ("query", "ec2")
        self.diffs: list[str] = []

    def top(self, shape, expected: dict, actual) -> list[str]:
        if not isinstance(actual, dict):
            self.diffs.append(f"<result>: expected a dict, got {short(actual)}")
            return self.diffs
        payload = shape.serialization.get("payload") if shape is not None else None
        members = shape.members if shape is not None else {}
        for name in sorted(set(expected) | set(actual)):
            member = members.get(name)
            if member is None:
                self.diffs.append(_not_modelled(name, expected, actual))
                continue
            location = member.serialization.get("location") if self.rest else None
            if location is None and name == payload and self.rest:
                location = "payload"
            self._member(name, member, location, expected, actual)
        return self.diffs

    def _member(self, path, member, location, expected, actual):
        name = path.rsplit(".", 1)[-1]
        has_e, has_a = name in expected, name in actual
        exp = expected.get(name)
        act = actual.get(name)
        if has_a and act is None:
            has_a = False  # a None member is an absent member (botocore treats it so)
        if has_e and not has_a:
            if not self._absent_equivalent(exp, member, location):
                self.diffs.append(f"{path}: missing (expected {short(exp)})")
            return
        if has_a and not has_e:
            if (self.direction == "input" and location == "header" and isinstance(act, int)
                    and member.serialization.get("name", "").lower() == "content-length"):
                return  # the HTTP layer sends Content-Length itself; it is the body's length
            act = self._materialise(act, member, location)
            if not self._absent_equivalent(act, member, location):
                self.diffs.append(f"{path}: unexpected member {short(act)}")
            return
        if not has_e:
            return
        act = self._materialise(act, member, location)
        if act is _BAD_STREAM:
            self.diffs.append(
                f"{path}: streaming payload should be a BodyStream, got {type(actual.get(name)).__name__}")
            return
        self.value(path, member, exp, act, location)

    def _materialise(self, value, member, location):
        """Read streams into bytes (our BodyStream on input, botocore's StreamingBody on output)."""
        if location != "payload" or member.type_name not in ("blob", "string"):
            return value
        if self.direction == "input":
            if member.type_name == "blob":
                if isinstance(value, BodyStream) or hasattr(value, "read") and hasattr(value, "__aiter__"):
                    return _read_stream(value)
                if not member.serialization.get("streaming") and not member.metadata.get("streaming") \
                        and isinstance(value, (bytes, bytearray)):
                    return bytes(value)  # a small blob payload (Lambda Invoke) may arrive whole
                return _BAD_STREAM
            return value
        if isinstance(value, StreamingBody):
            return value.read()
        return value

    def _absent_equivalent(self, value, member, location) -> bool:
        """Values the wire cannot tell apart from an absent member."""
        kind = member.type_name
        if self.xml and kind in ("list", "map") and not value and member.serialization.get("flattened"):
            return True  # a flattened XML list/map has no wrapper element: empty is invisible
        if self.form_input and kind == "structure" and _carries_nothing(value):
            # A query/ec2 form has a key per scalar only: a structure with no values in it
            # (a union whose chosen member is a member-less structure, such as CloudWatch's
            # EvaluationWindow {"SlidingWindow": {}}) puts nothing on the wire.
            return True
        if location == "statusCode":
            return True  # every response has a status; check_output compares it separately
        if (self.direction == "output" and location == "header"
                and member.serialization.get("name", "").lower() == "content-type"):
            return True  # every response body has a Content-Type, modelled member or not
        if location == "headers" and value == {}:
            return True  # no headers with the prefix; botocore always returns {} for it
        if location == "querystring" and kind in ("list", "map") and not value:
            return True  # nothing to put in the query string
        if location == "header" and kind == "list" and not value:
            return True  # botocore sets no header for an empty list
        if member.serialization.get("eventpayload") and value in (b"", "", {}):
            return True  # an event's payload is always there; an empty one is an absent member
        if location == "payload":
            if kind == "blob" and value in (b"", None):
                return True  # an empty body is an absent streaming payload
            if kind == "string" and value in ("", None):
                return True
            if kind == "structure" and value == {}:
                # rest-json sends "{}" for an absent payload structure; botocore parses an
                # empty body as {} on output.
                return True
        return False

    def value(self, path, shape, exp, act, location=None):
        kind = shape.type_name
        if kind == "structure":
            if shape.is_document_type:
                if exp != act:
                    self.diffs.append(f"{path}: expected {short(exp)}, got {short(act)}")
                return
            if not isinstance(act, dict):
                self.diffs.append(f"{path}: expected structure {short(exp)}, got {short(act)}")
                return
            for name in sorted(set(exp) | set(act)):
                member = shape.members.get(name)
                if member is None:
                    self.diffs.append(_not_modelled(f"{path}.{name}", exp, act))
                    continue
                self._member(f"{path}.{name}", member, None, exp, act)
            return
        if kind == "list":
            if not isinstance(act, list):
                self.diffs.append(f"{path}: expected list {short(exp)}, got {short(act)}")
                return
            if len(exp) != len(act):
                self.diffs.append(f"{path}: expected {len(exp)} items {short(exp)}, got {len(act)} {short(act)}")
                return
            for i, (e, a) in enumerate(zip(exp, act)):
                self.value(f"{path}[{i}]", shape.member, e, a, location)
            return
        if kind == "map":
            if not isinstance(act, dict):
                self.diffs.append(f"{path}: expected map {short(exp)}, got {short(act)}")
                return
            if set(exp) != set(act):
                self.diffs.append(f"{path}: expected keys {short(sorted(exp))}, got {short(sorted(act))}")
                return
            for k in exp:
                value_shape = shape.value if location not in ("headers", "querystring") else None
                if value_shape is None:
                    if exp[k] != act[k]:
                        self.diffs.append(f"{path}[{k!r}]: expected {short(exp[k])}, got {short(act[k])}")
                else:
                    self.value(f"{path}[{k!r}]", value_shape, exp[k], act[k])
            return
        if kind == "timestamp":
            want = _truncate(exp, _ts_unit(self.direction, self.protocol, shape, location))
            if not isinstance(act, _dt.datetime):
                self.diffs.append(f"{path}: expected datetime {want.isoformat()}, got {short(act)}")
            elif act.tzinfo is None:
                self.diffs.append(f"{path}: got a naive datetime {act.isoformat()} (want aware UTC)")
            elif act != want:
                self.diffs.append(f"{path}: expected {want.isoformat()}, got {act.isoformat()}")
            return
        if kind in ("float", "double"):
            if (self.direction == "output" and self.protocol == "json" and not math.isfinite(exp)
                    and act == _NON_FINITE_JSON[repr(exp)]):
                return  # botocore's json parser hands back the protocol's string form as-is
            if isinstance(act, bool) or not isinstance(act, (int, float)):
                self.diffs.append(f"{path}: expected {kind} {exp!r}, got {short(act)}")
            elif math.isnan(exp):
                if not math.isnan(act):
                    self.diffs.append(f"{path}: expected NaN, got {act!r}")
            elif not (act == exp or (math.isfinite(exp) and math.isclose(act, exp, rel_tol=1e-12))):
                self.diffs.append(f"{path}: expected {exp!r}, got {act!r}")
            return
        if kind == "boolean":
            if act is not exp:
                self.diffs.append(f"{path}: expected {exp!r}, got {short(act)}")
            return
        if kind in ("integer", "long", "short", "byte"):
            if isinstance(act, bool) or not isinstance(act, int) or act != exp:
                self.diffs.append(f"{path}: expected {exp!r}, got {short(act)}")
            return
        if kind == "blob":
            if isinstance(act, (bytearray, memoryview)):
                act = bytes(act)
            if act != exp:
                self.diffs.append(f"{path}: expected {short(exp)}, got {short(act)}")
            return
        if kind == "string" and not isinstance(exp, str):  # jsonvalue header
            if act != exp:
                self.diffs.append(f"{path}: expected {short(exp)}, got {short(act)}")
            return
        if type(act) is not str or act != exp:
            self.diffs.append(f"{path}: expected {short(exp)}, got {short(act)}")


def _not_modelled(path, expected, actual) -> str:
    name = path.rsplit(".", 1)[-1]
    if name in actual:
        return f"{path}: unexpected member {short(actual[name])}"
    return f"{path}: expected {short(expected[name])} for a member botocore's model lacks"


def _carries_nothing(value) -> bool:
    """A structure (or map) with nothing but nested empty structures and maps in it."""
    return isinstance(value, dict) and all(_carries_nothing(v) for v in value.values())


_BAD_STREAM = object()
_NON_FINITE_JSON = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


# --- input direction -------------------------------------------------------------------------

def wire_request(pair, protocol, params) -> HttpRequest:
    """What a botocore client puts on the wire for these params, as our HttpRequest."""
    try:
        req = _serializer(protocol).serialize_to_request(params, pair.boto)
        prepare_request_dict(req, endpoint_url=ENDPOINT)
        prepared = create_request_object(req).prepare()
    except Exception as exc:  # botocore refused our generated params
        raise HarnessError(describe_exception(exc)) from exc
    split = urlsplit(prepared.url)
    headers = {}
    for k, v in prepared.headers.items():
        headers[k.lower()] = v.decode("latin-1") if isinstance(v, bytes) else str(v)
    headers["host"] = split.netloc
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, (bytes, bytearray)):
        body = body.read()
    body = bytes(body)
    request = HttpRequest(prepared.method, split.path, split.query, headers)
    payload = pair.ours.get_streaming_input()
    if payload is not None and payload.serialization.get("streaming"):
        # As the gateway does (gateway/body.py _streams_input), from our model: a payload with
        # the `streaming` trait arrives as a BodyStream, other blob payloads (Lambda Invoke)
        # arrive whole.
        request.stream = BodyStream.from_bytes(body)
    else:
        request.body = body
    return request


def check_input(pair, protocol, params) -> list[str]:
    request = wire_request(pair, protocol, params)
    try:
        parsed = codec.parse_request(pair.ours, protocol, request)
    except ServiceError as exc:
        return [f"parse raised ServiceError {exc.code}: {exc.message[:160]}"]
    except Exception as exc:
        return [f"parse raised {describe_exception(exc)}"]
    return Comparer("input", protocol, pair.boto).top(pair.boto.input_shape, params, parsed)


# --- output direction ------------------------------------------------------------------------

def response_dict(operation_model, response, method, chunks=None, result=None) -> dict:
    """What botocore's endpoint hands its parser (endpoint.convert_to_response_dict);
    `operation_model` is botocore's. With `result`, a Content-Length that no member of it
    gave is the HTTP framing the serializer adds, not output: left out."""
    headers = HeadersDict()
    framing = result is not None and not any(
        member.serialization.get("location") == "header"
        and member.serialization.get("name", "").lower() == "content-length" and result.get(name) is not None
        for name, member in (operation_model.output_shape.members.items() if operation_model.output_shape else ()))
    for k, v in response.headers:
        if response.wire:  # the serializers write headers as the ASGI server takes them
            k, v = k.decode("latin-1"), v.decode("utf-8")
        if framing and k == "content-length":
            continue
        if k in headers:  # repeated fields arrive folded, as urllib3 hands them to botocore
            headers[k] = headers[k] + ", " + v
        else:
            headers[k] = v
    if chunks is None:
        chunks = _collect_chunks(response.body)
    if method == "HEAD":
        chunks = []  # a HEAD response carries no body on the wire
    body = b"".join(chunks)
    status = response.status
    out = {"headers": headers, "status_code": status,
           "context": {"operation_name": operation_model.name}}
    if status >= 300:
        out["body"] = body
    elif operation_model.has_event_stream_output:
        out["body"] = RawStream(chunks)
    elif operation_model.has_streaming_output:
        out["body"] = StreamingBody(io.BytesIO(body), len(body))
    else:
        out["body"] = body
    return out


def _request_id_diff(parsed) -> list[str]:
    got = parsed.get("ResponseMetadata", {}).get("RequestId")
    if got != REQUEST_ID:
        return [f"ResponseMetadata.RequestId: expected {REQUEST_ID!r}, got {short(got)}"]
    return []


def _expected_status(operation_model, result) -> int:
    """A statusCode member wins, else the operation's modelled responseCode, else 200
    (`operation_model` is botocore's)."""
    shape = operation_model.output_shape
    if shape is not None:
        for name, member in shape.members.items():
            if member.serialization.get("location") == "statusCode" and name in result:
                return result[name]
    return int(operation_model.http.get("responseCode", 200))


def _s3_bucket_location(parsed, rd):
    # The model cannot describe GetBucketLocation's bare <LocationConstraint> root, so every
    # botocore client runs handlers.parse_get_bucket_location after parsing: do the same.
    from types import SimpleNamespace

    from botocore.handlers import parse_get_bucket_location

    parse_get_bucket_location(parsed, SimpleNamespace(raw=True, content=rd["body"]))
    if parsed.get("LocationConstraint") is None:
        parsed.pop("LocationConstraint", None)


# botocore after-call handlers that complete what its parser cannot do from the model alone.
_AFTER_PARSE = {("s3", "GetBucketLocation"): _s3_bucket_location}


def check_output(pair, protocol, result) -> list[str]:
    if pair.boto.has_event_stream_output:
        return check_event_stream_output(pair, protocol, result)
    operation_model = pair.boto
    try:
        response = codec.serialize_response(pair.ours, protocol, result, REQUEST_ID)
        rd = response_dict(operation_model, response, operation_model.http.get("method", "POST"), result=result)
    except Exception as exc:
        return [f"serialize raised {describe_exception(exc)}"]
    if rd["status_code"] >= 300:
        return [f"serialize gave HTTP {rd['status_code']}: {short(rd['body'], 160)}"]
    want_status = _expected_status(operation_model, result)
    status_diffs = []
    if rd["status_code"] != want_status:
        status_diffs = [f"HTTP status: expected {want_status}, got {rd['status_code']}"]
    try:
        parsed = _parser(protocol).parse(rd, operation_model.output_shape)
    except Exception as exc:
        return [f"botocore could not parse the response: {describe_exception(exc)}"
                f" body={short(rd['body'] if isinstance(rd['body'], bytes) else '<stream>', 160)}"]
    fixup = _AFTER_PARSE.get((operation_model.service_model.service_name, operation_model.name))
    if fixup is not None:
        fixup(parsed, rd)
    diffs = list(status_diffs)
    if operation_model.output_shape is not None or protocol != "smithy-rpc-v2-cbor":
        # botocore's rpc-v2 parser fills ResponseMetadata only when there is an output shape.
        diffs += _request_id_diff(parsed)
    parsed.pop("ResponseMetadata", None)
    return diffs + Comparer("output", protocol, operation_model).top(
        operation_model.output_shape, result, parsed)


# --- event-stream outputs --------------------------------------------------------------------
# The provider contract: the stream member is a sync or async iterable of {event name: value};
# a ServiceError raised by it ends the stream in-band. The generator's list of events is turned
# into such an iterable, its exception event (always the last) into the raise.

class RawStream:
    """The part of urllib3's HTTPResponse that botocore's EventStream reads: endpoint.py hands
    the parser `http_response.raw` for event-stream outputs, and EventStream iterates its
    stream(). The chunks are the serializer's own, as a server would write them."""

    def __init__(self, chunks):
        self._chunks = chunks
        self.closed = False

    def stream(self, amt=2**16, decode_content=None):
        yield from self._chunks

    def close(self):
        self.closed = True


def _is_fault(stream_shape, name) -> bool:
    return name == STREAM_ERROR or bool(stream_shape.members[name].metadata.get("exception"))


def _message_member(shape):
    return next((n for n in shape.members if n.lower() == "message"), None)


def _stream_fault(stream_shape, name, value) -> Exception:
    """What the provider raises for the generator's exception event."""
    if name == STREAM_ERROR:
        if value["Code"] is None:
            return RuntimeError("the provider failed mid-stream")  # a bug, not a ServiceError
        return ServiceError(value["Code"], value["Message"])
    key = _message_member(stream_shape.members[name])
    fields = {k: v for k, v in value.items() if k != key}
    return ServiceError(name, value.get(key, ""), **fields)


def _expected_fault(stream_shape, name, value):
    """(Error.Code, Error.Message) botocore's EventStreamError carries; None: any non-empty."""
    if name == STREAM_ERROR:
        return (value["Code"], value["Message"]) if value["Code"] is not None else (None, None)
    return name, value.get(_message_member(stream_shape.members[name]), "")


def _sync_events(stream_shape, events):
    for event in events:
        ((name, value),) = event.items()
        if _is_fault(stream_shape, name):
            raise _stream_fault(stream_shape, name, value)
        yield event


async def _async_events(stream_shape, events):
    for event in _sync_events(stream_shape, events):
        yield event


def _read_event_stream(stream):
    """Iterate botocore's EventStream: (events, EventStreamError's Error dict | None)."""
    events = []
    try:
        for event in stream:  # one by one: the events before a fault count  # noqa: PERF402
            events.append(event)
    except EventStreamError as exc:
        return events, exc.response.get("Error", {})
    return events, None


def check_event_stream_output(pair, protocol, result) -> list[str]:
    operation_model = pair.boto
    shape = operation_model.output_shape
    name = shape.event_stream_name
    stream_shape = shape.members[name]
    events = result.get(name)
    bodies = []
    try:
        # The same events served once as a sync and once as an async iterable.
        for provide in (_sync_events, _async_events):
            provided = dict(result)
            if events is not None:
                provided[name] = provide(stream_shape, events)
            response = codec.serialize_response(pair.ours, protocol, provided, REQUEST_ID)
            bodies.append(_collect_chunks(response.body))
        rd = response_dict(operation_model, response, operation_model.http.get("method", "POST"),
                           bodies[0])
    except Exception as exc:
        return [f"serialize raised {describe_exception(exc)}"]
    diffs = []
    if b"".join(bodies[0]) != b"".join(bodies[1]):
        diffs.append(f"{name}: a sync and an async iterable of the same events serialize differently")
    if rd["status_code"] >= 300:
        return diffs + [f"serialize gave HTTP {rd['status_code']}: {short(rd['body'], 160)}"]
    want_status = _expected_status(operation_model, result)
    if rd["status_code"] != want_status:
        diffs.append(f"HTTP status: expected {want_status}, got {rd['status_code']}")
    try:
        parsed = _parser(protocol).parse(rd, shape)
    except Exception as exc:
        return diffs + [f"botocore could not parse the response: {describe_exception(exc)}"
                        f" body={short(b''.join(bodies[0]), 160)}"]
    diffs += _request_id_diff(parsed)
    parsed.pop("ResponseMetadata", None)
    stream = parsed.pop(name, None)
    diffs += Comparer("output", protocol, operation_model).top(
        shape, {k: v for k, v in result.items() if k != name}, parsed)
    if stream is None:
        return diffs + [f"{name}: botocore returned no event stream"]
    try:
        got, fault = _read_event_stream(stream)
    except Exception as exc:
        return diffs + [f"{name}: botocore could not read the events: {describe_exception(exc)}"]
    want, want_fault = [], None
    for event in events or ():
        ((event_name, value),) = event.items()
        if _is_fault(stream_shape, event_name):
            want_fault = _expected_fault(stream_shape, event_name, value)
            break
        want.append(event)
    if len(got) != len(want):
        diffs.append(f"{name}: expected {len(want)} events {short([next(iter(e)) for e in want])}, "
                     f"got {len(got)} {short([next(iter(e)) for e in got])}")
    else:
        events_cmp = Comparer("output", protocol, operation_model)
        for i, (exp, act) in enumerate(zip(want, got)):
            events_cmp.value(f"{name}[{i}]", stream_shape, exp, act)
        diffs += events_cmp.diffs
    if want_fault is None:
        if fault is not None:
            diffs.append(f"{name}: unexpected error event {short(fault)}")
    elif fault is None:
        diffs.append(f"{name}: expected the stream to end with error {want_fault[0] or 'InternalFailure'!r},"
                     " it did not")
    else:
        code, message = want_fault
        if code is None:  # a non-ServiceError failure: any code that names the failure
            if not fault.get("Code"):
                diffs.append(f"{name}: error event without a code {short(fault)}")
        else:
            if fault.get("Code") != code:
                diffs.append(f"{name}: error Code expected {code!r}, got {short(fault.get('Code'))}")
            if fault.get("Message") != message:
                diffs.append(f"{name}: error Message expected {message!r}, got {short(fault.get('Message'))}")
    return diffs


# --- errors ----------------------------------------------------------------------------------

def expected_error_code(error_shape) -> str:
    # botocore's client sees the query-style code for query and awsQueryCompatible services
    # (error.code), the shape name otherwise; both name the same modelled exception.
    return error_shape.metadata.get("error", {}).get("code") or error_shape.name


def check_error(pair, protocol, error: ServiceError, expected_code, fields,
                error_shape=None) -> list[str]:
    """`error_shape`, like everything but the serializer's arguments, is botocore's."""
    operation_model = pair.boto
    service_model = operation_model.service_model
    method = operation_model.http.get("method", "POST")
    try:
        response = codec.serialize_error(pair.ours.service_model, pair.ours, protocol, error, REQUEST_ID)
        rd = response_dict(operation_model, response, method)
    except Exception as exc:
        return [f"serialize_error raised {describe_exception(exc)}"]
    diffs = []
    declared = error_shape is None or "httpStatusCode" in error_shape.metadata.get("error", {})
    if declared and rd["status_code"] != error.status:
        # Where the model names no status, a serializer may apply the service's real one
        # (SQS answers OverLimit with 403, say); where it does, the status must be kept.
        diffs.append(f"HTTP status: expected {error.status}, got {rd['status_code']}")
    if rd["status_code"] < 300:
        return diffs + ["error serialized with a success status"]
    parser = _parser(protocol)
    try:
        parsed = parser.parse(rd, operation_model.output_shape)
        # What botocore's client does next (Endpoint._add_modeled_error_fields).
        code = parsed.get("Error", {}).get("Code")
        shape = service_model.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(parser.parse(rd, shape))
    except Exception as exc:
        return diffs + [f"botocore could not parse the error: {describe_exception(exc)}"
                        f" body={short(rd['body'], 160)}"]
    err = parsed.get("Error", {})
    head = method == "HEAD"
    if head and protocol == "rest-xml":
        # No body on a HEAD response: botocore can only name the error after the status.
        want_code, want_message = str(error.status), http.client.responses.get(error.status, "")
    else:
        want_code, want_message = expected_code, error.message
    got_code = err.get("Code")
    if service_model.service_name == "sqs" and err.get("QueryErrorCode"):
        # botocore's after-call.sqs handler picks the exception class by QueryErrorCode
        # (SQS answers with its legacy query codes in x-amzn-query-error).
        got_code = err["QueryErrorCode"]
    if got_code != want_code:
        diffs.append(f"Error.Code: expected {want_code!r}, got {short(got_code)}")
    if not head and err.get("Message") != want_message:
        diffs.append(f"Error.Message: expected {want_message!r}, got {short(err.get('Message'))}")
    if not head:
        diffs += _request_id_diff(parsed)
    if fields and error_shape is not None and not head:
        cmp = Comparer("output", protocol, operation_model)
        rest = protocol in ("rest-json", "rest-xml")
        for name, value in fields.items():
            member = error_shape.members[name]
            location = member.serialization.get("location") if rest else None
            cmp._member(name, member, location, fields, parsed)
        diffs += cmp.diffs
    return diffs


def error_cases(operation_model, generator_for):
    """(ServiceError, expected code, fields, error shape) for each modelled error of the
    operation (botocore's model), or a generic client error when it models none; plus a
    server error."""
    cases = []
    for shape in operation_model.error_shapes:
        meta = shape.metadata.get("error", {})
        status = int(meta.get("httpStatusCode", 400))
        sender = meta.get("senderFault", status < 500)
        fields = generator_for(shape.name).error_fields(shape, "full")
        code = expected_error_code(shape)
        cases.append((ServiceError(code, ERROR_MESSAGE, status, sender, **fields), code, fields, shape))
    if not cases:
        cases.append((ServiceError("ValidationError", ERROR_MESSAGE, 400), "ValidationError", {}, None))
    err = internal_error("boom")
    cases.append((err, err.code, {}, None))
    return cases
