"""The EC2 query protocol's responses.

    <OpResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>id</requestId>
      members (by locationName; lists as <item> elements)</OpResponse>

Errors (EC2 models none; codes are free-form like "InvalidInstanceID.NotFound"):
    <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID>id</RequestID></Response>
"""

from __future__ import annotations

from ..errors import ServiceError
from ..http import HttpResponse
from . import _errors, _xml
from ._values import apply_result_extras, wire_response

CONTENT_TYPE = "text/xml;charset=UTF-8"
_CONTENT_TYPE = CONTENT_TYPE.encode()


def _namespace(service_model) -> str:
    # The model's xmlNamespace lacks the trailing slash EC2 itself sends.
    return f"http://ec2.amazonaws.com/doc/{service_model.api_version}/"


class _OperationPlan:
    __slots__ = ("body", "close", "head")

    def __init__(self, operation_model):
        name = operation_model.name
        ns = _xml.namespace_attr(_namespace(operation_model.service_model))
        shape = operation_model.output_shape
        self.body = _xml.EC2.struct_plan(shape) if shape is not None else None
        self.head = f"{_xml.XML_DECLARATION}<{name}Response{ns}><requestId>"
        self.close = f"</{name}Response>"


_plans: dict = {}


def serialize(operation_model, result: dict, request_id: str) -> HttpResponse:
    plan = _plans.get(operation_model)
    if plan is None:
        plan = _plans[operation_model] = _OperationPlan(operation_model)
    out = [plan.head, _xml.escape(request_id), "</requestId>"]
    if plan.body is not None and result:
        plan.body.write_body(out, result)
    out.append(plan.close)
    headers = [(b"content-type", _CONTENT_TYPE), (b"x-amzn-requestid", request_id.encode())]
    status = apply_result_extras(result, 200, headers) if result else 200
    return wire_response(status, headers, "".join(out).encode("utf-8"))


_RESERVED = frozenset(("Type", "Code", "Message", "message", "RequestId", "RequestID", _errors.HEADERS_FIELD))


def serialize_error(service_model, operation_model, error: ServiceError, request_id: str) -> HttpResponse:
    info = _errors.resolve(service_model, error)
    out = [
        (
            f"{_xml.XML_DECLARATION}<Response><Errors><Error><Code>{_xml.escape(info.wire_code)}</Code>"
            f"<Message>{_xml.escape(error.message)}</Message>"
        )
    ]
    if error.fields:
        _xml.write_extra_fields(out, error.fields, _RESERVED)
    out.append(f"</Error></Errors><RequestID>{_xml.escape(request_id)}</RequestID></Response>")
    headers = [(b"content-type", _CONTENT_TYPE), (b"x-amzn-requestid", request_id.encode())]
    headers.extend(_errors.extra_headers(error))
    return wire_response(info.status, headers, "".join(out).encode("utf-8"))
