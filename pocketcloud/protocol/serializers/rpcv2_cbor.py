"""The smithy-rpc-v2-cbor protocol's responses (CloudWatch and Snowball in current SDKs).

Body: the output structure as a CBOR map keyed by member names (not locationNames),
timestamps as tag 1, blobs as byte strings; Content-Type application/cbor and the
`smithy-protocol: rpc-v2-cbor` header. An operation without an output shape answers with an
empty body.

Errors: {"__type": "ShapeName", "message": "..."} plus modelled members, with the same
x-amzn-query-error header as awsJson for query-compatible services (CloudWatch).
"""

from __future__ import annotations

from ..errors import ServiceError
from ..http import HttpResponse
from . import _cbor, _errors
from ._values import apply_result_extras, wire_response

CONTENT_TYPE = "application/cbor"
_CONTENT_TYPE = CONTENT_TYPE.encode()
_EMPTY_MAP = b"\xa0"


_plans: dict = {}


def serialize(operation_model, result: dict, request_id: str) -> HttpResponse:
    plan = _plans.get(operation_model, False)
    if plan is False:
        shape = operation_model.output_shape
        plan = _plans[operation_model] = _cbor.struct_plan(shape) if shape is not None else None
    if plan is None:
        # Unit output: no body at all, as the protocol specifies.
        return wire_response(200, [(b"smithy-protocol", b"rpc-v2-cbor"), (b"x-amzn-requestid", request_id.encode())], b"")
    headers = _headers(request_id)
    if result:
        out: list = []
        plan.write(out, result)
        return wire_response(apply_result_extras(result, 200, headers), headers, b"".join(out))
    return wire_response(200, headers, _EMPTY_MAP)


def _headers(request_id: str) -> list:
    return [(b"content-type", _CONTENT_TYPE), (b"smithy-protocol", b"rpc-v2-cbor"),
            (b"x-amzn-requestid", request_id.encode())]


def error_body(error: ServiceError, info) -> bytes:
    out: list = [b""]
    count = 0
    seen = {"__type"}
    out.append(_cbor.text("__type"))
    _cbor.write_str(out, info.shape_name)
    count += 1
    message_key = info.message_key or "message"
    fields = {k: v for k, v in error.fields.items() if v is not None and not k.startswith("__")}
    if message_key not in fields or error.message:
        fields[message_key] = error.message
    members = _cbor.struct_plan(info.shape).members if info.shape is not None else {}
    for name, value in fields.items():
        if name in seen:
            continue
        seen.add(name)
        member = members.get(name)
        if member is not None:
            out.append(member[0])
            member[1](out, value)
        else:
            _cbor.write_str(out, name)
            _cbor.write_any(out, value)
        count += 1
    out[0] = _cbor.head(5, count)
    return b"".join(out)


def serialize_error(service_model, operation_model, error: ServiceError, request_id: str) -> HttpResponse:
    info = _errors.resolve(service_model, error)
    headers = _headers(request_id) + _errors.query_error_headers(service_model, info)
    headers.extend(_errors.extra_headers(error))
    return wire_response(info.status, headers, error_body(error, info))
