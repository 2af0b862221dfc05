"""The restJson1 protocol's responses (Lambda, EFS, API Gateway v1 and v2).

Status, headers and payload follow the REST bindings (see _rest); the remaining members form
a JSON document. Errors carry their code in the x-amzn-ErrorType header and a JSON body
{"message": ..., modelled members}; the status comes from the error shape's
error.httpStatusCode when the provider left the default.
"""

from __future__ import annotations

from ..errors import ServiceError
from ..http import HttpResponse
from . import _errors, _eventstream, _json, _rest
from ._values import wire_response, wire_value
from .json_rpc import error_body

CONTENT_TYPE = "application/json"
_CONTENT_TYPE = CONTENT_TYPE.encode()
_EVENTS_CONTENT_TYPE = _eventstream.CONTENT_TYPE.encode()


class _OperationPlan:
    __slots__ = ("convert", "events", "rest")

    def __init__(self, operation_model):
        shape = operation_model.output_shape
        self.rest = rest = _rest.operation_plan(operation_model)
        self.convert = None
        self.events = None
        if rest.payload_kind == "eventstream":
            self.events = _eventstream.EventEncoder(rest.payload_shape, _json.event_payload, CONTENT_TYPE)
        elif rest.payload_kind is not None:
            self.convert = _json.converter(rest.payload_shape)
        elif rest.has_body_members:
            self.convert = _json.struct_plan(shape).convert


_plans: dict = {}


def serialize(operation_model, result: dict, request_id: str) -> HttpResponse:
    plan = _plans.get(operation_model)
    if plan is None:
        plan = _plans[operation_model] = _OperationPlan(operation_model)
    rest = plan.rest
    headers: list = []
    status = rest.bind(result, headers) if result else rest.status
    kind = rest.payload_kind
    content_type = None
    if kind is None:
        if plan.convert is not None:
            body = _json.dumps(plan.convert(result) if result else {})
            content_type = _CONTENT_TYPE
        else:
            body = b""
    else:
        value = result.get(rest.payload) if result else None
        if rest.raw_content_type is not None:  # a blob or string payload
            body, content_type = _rest.raw_body(value), rest.raw_content_type
        elif kind == "eventstream":
            body, content_type = plan.events.body(value), _EVENTS_CONTENT_TYPE
        elif value is None:
            body = b""
        else:
            body = _json.dumps(value if plan.convert is None else plan.convert(value))
            content_type = _CONTENT_TYPE
    body = rest.finish_body(status, result, headers, body, content_type)
    headers.append((b"x-amzn-requestid", request_id.encode()))
    return HttpResponse(status, headers, body, True)


def serialize_error(service_model, operation_model, error: ServiceError, request_id: str) -> HttpResponse:
    info = _errors.resolve(service_model, error)
    headers = [(b"x-amzn-requestid", request_id.encode()), (b"x-amzn-errortype", wire_value(info.shape_name))]
    if info.shape is not None and error.fields:
        _rest.error_plan(info.shape).bind(error.fields, headers, extras=False)
    headers.extend(_errors.extra_headers(error))
    if _rest.error_without_body(operation_model, info.status):
        return wire_response(info.status, headers, b"")
    body = error_body(error, info)
    del body["__type"]  # restJson1 names the error in the x-amzn-ErrorType header
    headers.append((b"content-type", _CONTENT_TYPE))
    return wire_response(info.status, headers, _json.dumps(body))
