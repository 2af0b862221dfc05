"""The awsQuery protocol's responses (STS, IAM, SNS, RDS, ELB, Auto Scaling, CloudFormation...).

    <OpResponse xmlns="..."><OpResult>members</OpResult>
      <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>

Errors:
    <ErrorResponse xmlns="..."><Error><Type>Sender</Type><Code/><Message/>(members)</Error>
      <RequestId>id</RequestId></ErrorResponse>
"""

from __future__ import annotations

from ..errors import ServiceError
from ..http import HttpResponse
from . import _errors, _xml
from ._values import apply_result_extras, wire_response

CONTENT_TYPE = "text/xml"
_CONTENT_TYPE = CONTENT_TYPE.encode()


class _OperationPlan:
    __slots__ = ("body", "close", "head", "tail")

    def __init__(self, operation_model):
        service = operation_model.service_model
        ns = _xml.namespace_attr(service.metadata.get("xmlNamespace"))
        name = operation_model.name
        shape = operation_model.output_shape
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        self.body = _xml.QUERY.struct_plan(shape) if shape is not None else None
        self.head = f"{_xml.XML_DECLARATION}<{name}Response{ns}>" + (f"<{wrapper}>" if wrapper else "")
        self.tail = (f"</{wrapper}>" if wrapper else "") + "<ResponseMetadata><RequestId>"
        self.close = f"</RequestId></ResponseMetadata></{name}Response>"


_plans: dict = {}


def _plan(operation_model) -> _OperationPlan:
    plan = _plans.get(operation_model)
    if plan is None:
        plan = _plans[operation_model] = _OperationPlan(operation_model)
    return plan


def serialize(operation_model, result: dict, request_id: str) -> HttpResponse:
    plan = _plan(operation_model)
    out = [plan.head]
    if plan.body is not None and result:
        plan.body.write_body(out, result)
    out.append(plan.tail)
    out.append(_xml.escape(request_id))
    out.append(plan.close)
    headers = [(b"content-type", _CONTENT_TYPE), (b"x-amzn-requestid", request_id.encode())]
    status = apply_result_extras(result, 200, headers) if result else 200
    return wire_response(status, headers, "".join(out).encode("utf-8"))


def error_document(error: ServiceError, info, request_id: str, namespace, flavor=_xml.QUERY) -> bytes:
    """<ErrorResponse> as query services (and Route 53 / CloudFront) send it."""
    out = [
        (
            f"{_xml.XML_DECLARATION}<ErrorResponse{_xml.namespace_attr(namespace)}><Error>"
            f"<Type>{_errors.fault_name(info.sender_fault)}</Type>"
            f"<Code>{_xml.escape(info.wire_code)}</Code><Message>{_xml.escape(error.message)}</Message>"
        )
    ]
    write_error_members(out, error, info, flavor)
    out.append(f"</Error><RequestId>{_xml.escape(request_id)}</RequestId></ErrorResponse>")
    return "".join(out).encode("utf-8")


_RESERVED = frozenset(("Type", "Code", "Message", "message", "RequestId", "HostId", _errors.HEADERS_FIELD))


def write_error_members(out: list, error: ServiceError, info, flavor=_xml.QUERY, skip=_RESERVED) -> None:
    fields = error.fields
    if not fields:
        return
    if info.shape is not None:
        plan = flavor.struct_plan(info.shape)
        modelled = {k: v for k, v in fields.items() if k in plan.elements and k not in skip}
        plan.write_body(out, modelled)
        extra = {k: v for k, v in fields.items() if k not in plan.elements}
    else:
        extra = fields
    _xml.write_extra_fields(out, extra, skip)


def serialize_error(service_model, operation_model, error: ServiceError, request_id: str) -> HttpResponse:
    info = _errors.resolve(service_model, error)
    headers = [(b"content-type", _CONTENT_TYPE), (b"x-amzn-requestid", request_id.encode())]
    headers.extend(_errors.extra_headers(error))
    body = error_document(error, info, request_id, service_model.metadata.get("xmlNamespace"))
    return wire_response(info.status, headers, body)
