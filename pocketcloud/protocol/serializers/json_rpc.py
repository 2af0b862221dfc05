"""The awsJson 1.0 / 1.1 protocols' responses (SQS, KMS, Logs, ECS, WAF, CloudTrail...).

Body: the output structure as JSON (locationNames as keys, timestamps epoch seconds unless
the member's timestampFormat says otherwise, blobs base64). Content-Type names the service's
jsonVersion; x-amzn-RequestId carries the request id.

Errors: {"__type": "ShapeName", "message": "..."} plus the error shape's modelled members.
Services that moved here from the query protocol (metadata awsQueryCompatible: SQS,
CloudWatch) also send `x-amzn-query-error: <query code>;Sender|Receiver`, from which SDKs
restore the query-era error code their users match on.
"""

from __future__ import annotations

from ..errors import ServiceError
from ..http import HttpResponse
from . import _errors, _eventstream, _json
from ._values import apply_result_extras, wire_response

_EMPTY_OBJECT = b"{}"


def content_type(service_model) -> str:
    return f"application/x-amz-json-{service_model.metadata.get('jsonVersion') or '1.0'}"


class _OperationPlan:
    __slots__ = ("content_type", "convert", "event_stream", "events")

    def __init__(self, operation_model):
        shape = operation_model.output_shape
        self.content_type = content_type(operation_model.service_model).encode()
        self.convert = _json.struct_plan(shape).convert if shape is not None else None
        self.event_stream = shape.event_stream_name if shape is not None else None
        self.events = None
        if self.event_stream:
            self.events = _eventstream.EventEncoder(
                shape.members[self.event_stream], _json.event_payload, "application/json"
            )


_EVENTS_CONTENT_TYPE = _eventstream.CONTENT_TYPE.encode()

_plans: dict = {}


def serialize(operation_model, result: dict, request_id: str) -> HttpResponse:
    plan = _plans.get(operation_model)
    if plan is None:
        plan = _plans[operation_model] = _OperationPlan(operation_model)
    if plan.event_stream:
        initial = _json.dumps(plan.convert(result) if result else {})
        return HttpResponse(
            200,
            [(b"content-type", _EVENTS_CONTENT_TYPE), (b"x-amzn-requestid", request_id.encode())],
            plan.events.body(result.get(plan.event_stream), plan.events.initial_response(initial)),
            True,
        )
    body = _json.dumps(plan.convert(result)) if plan.convert is not None and result else _EMPTY_OBJECT
    headers = [(b"content-type", plan.content_type), (b"x-amzn-requestid", request_id.encode())]
    status = apply_result_extras(result, 200, headers) if result else 200
    return wire_response(status, headers, body)


def error_body(error: ServiceError, info) -> dict:
    """{"__type", message, modelled members, unmodelled extras} (rest-json drops __type)."""
    body = {"__type": info.shape_name}
    fields = error.fields
    if fields:
        extras = {k: v for k, v in fields.items() if v is not None and not k.startswith("__")}
        if info.shape is not None:
            plan = _json.struct_plan(info.shape)
            body.update(plan.convert(extras))
            extras = {k: v for k, v in extras.items() if k not in plan.members}
        for name, value in extras.items():
            body.setdefault(name, value if isinstance(value, (str, int, float, bool)) else str(value))
    if info.message_key is not None:
        # The shape's own message member ("message" or "Message"), under its wire name.
        key = info.shape.members[info.message_key].serialization.get("name", info.message_key)
        if error.message or key not in body:
            body[key] = error.message
    else:
        body["message"] = error.message
    return body


def error_headers(service_model, error: ServiceError, info, request_id: str, content_type_value: str):
    headers = [(b"content-type", content_type_value.encode()), (b"x-amzn-requestid", request_id.encode()),
               *_errors.query_error_headers(service_model, info)]
    headers.extend(_errors.extra_headers(error))
    return headers


def serialize_error(service_model, operation_model, error: ServiceError, request_id: str) -> HttpResponse:
    info = _errors.resolve(service_model, error)
    return wire_response(info.status, error_headers(service_model, error, info, request_id, content_type(service_model)),
                         _json.dumps(error_body(error, info)))
