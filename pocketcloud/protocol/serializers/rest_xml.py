"""The restXml protocol's responses (S3, CloudFront, Route 53).

Status, headers and payload follow the REST bindings (see _rest); the body is an XML document
whose root is the payload member's element (its locationName, else its shape's name) or, with
no payload, the output structure's element, in the service's namespace. S3 names some roots
differently from its botocore shape names (ListBucketResult for ListObjectsOutput...); those
come from the table below. Every S3 response carries x-amz-request-id and x-amz-id-2.

Errors: S3 sends <Error><Code/><Message/>(details)<RequestId/><HostId/></Error>; CloudFront and
Route 53 send <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
Answers to HEAD requests never have a body (clients then go by the status code alone).
"""

from __future__ import annotations

from binascii import b2a_base64
from functools import partial

from ..errors import ServiceError
from ..http import HttpResponse
from . import _errors, _eventstream, _rest, _xml
from ._values import wire_response
from .query import error_document, write_error_members

# S3 response roots that differ from the botocore output shape's name (from S3's own model).
S3_ROOTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "CreateSession": "CreateSessionResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
}

_namespaces: dict[str, str] = {}


def namespace(service_model) -> str:
    """The service's XML namespace: from the metadata, else the one its request bodies use."""
    name = service_model.service_name
    ns = _namespaces.get(name)
    if ns is not None:
        return ns
    ns = service_model.metadata.get("xmlNamespace")
    if isinstance(ns, dict):
        ns = ns.get("uri")
    if not ns:
        for op_name in service_model.operation_names:
            shape = service_model.operation_model(op_name).input_shape
            if shape is None:
                continue
            for member in shape.members.values():
                found = member.serialization.get("xmlNamespace")
                if found:
                    ns = found.get("uri") if isinstance(found, dict) else found
                    break
            if ns:
                break
    if not ns:
        md = service_model.metadata
        ns = f"https://{md.get('endpointPrefix')}.amazonaws.com/doc/{md.get('apiVersion')}/"
    _namespaces[name] = ns
    return ns


def _is_s3(service_model) -> bool:
    return service_model.service_name == "s3"


_EVENTS_CONTENT_TYPE = _eventstream.CONTENT_TYPE.encode()


def _request_id_headers(s3: bool, request_id: str) -> list:
    rid = request_id.encode()
    if s3:
        return [(b"x-amz-request-id", rid), (b"x-amz-id-2", b2a_base64(rid, newline=False))]  # host_id's bytes
    return [(b"x-amzn-requestid", rid)]


def host_id(request_id: str) -> str:
    # S3's extended request id: opaque base64; derived from the request id so both agree.
    return b2a_base64(request_id.encode("utf-8"), newline=False).decode("ascii")


def _root_writer(shape, tag: str, ns: str):
    """Writer for a document root: the shape's own namespace, else the service's."""
    extra = "" if shape.serialization.get("xmlNamespace") else _xml.namespace_attr(ns)
    return _xml.writer(shape, tag, _xml.REST_XML, extra)


def _location_constraint(result: dict, ns: str) -> bytes:
    # GetBucketLocation's answer is a bare element whose text is the region (empty for
    # us-east-1); botocore reads it by hand because the model cannot describe it.
    region = _xml.escape(result.get("LocationConstraint") or "")
    return (
        f"{_xml.XML_DECLARATION}<LocationConstraint{_xml.namespace_attr(ns)}>{region}</LocationConstraint>"
    ).encode()


class _OperationPlan:
    __slots__ = ("content_type", "events", "location_constraint", "rest", "s3", "write")

    def __init__(self, operation_model):
        service = operation_model.service_model
        shape = operation_model.output_shape
        ns = namespace(service)
        self.rest = rest = _rest.operation_plan(operation_model)
        self.s3 = _is_s3(service)
        self.content_type = b"application/xml" if self.s3 else b"text/xml"
        self.write = None
        self.events = None
        self.location_constraint = _is_s3(service) and operation_model.name == "GetBucketLocation"
        if rest.payload_kind == "eventstream":
            self.events = _eventstream.EventEncoder(rest.payload_shape, _event_payload, "text/xml")
        elif rest.payload_kind in ("structure", "union"):
            member = rest.payload_shape
            tag = member.serialization.get("name") or member.name
            self.write = _root_writer(member, tag, ns)
        elif rest.payload_kind is None and rest.has_body_members:
            tag = S3_ROOTS.get(operation_model.name, shape.name) if _is_s3(service) else shape.name
            self.write = _root_writer(shape, tag, ns)


_event_writers: dict = {}


def _event_payload(shape, value, root_name) -> bytes:
    entry = _event_writers.get((id(shape), root_name))
    if entry is None:  # the shape is kept with its writer, so its id stays unique
        entry = _event_writers[(id(shape), root_name)] = (shape, _xml.writer(shape, root_name, _xml.REST_XML))
    out: list = [_xml.XML_DECLARATION]  # each event payload is a document of its own
    entry[1](out, value)
    return "".join(out).encode("utf-8")


_plans: dict = {}


def _plan(operation_model) -> _OperationPlan:
    plan = _plans.get(operation_model)
    if plan is None:
        plan = _plans[operation_model] = _OperationPlan(operation_model)
    return plan


def serializer(operation_model):
    """serialize for one operation: (result, request_id) -> HttpResponse. An answer of headers
    alone (PutObject, DeleteObject, CopyObject's...) skips the body's steps."""
    plan = _plan(operation_model)
    rest = plan.rest
    if plan.write is not None or rest.payload_kind is not None or plan.location_constraint:
        return partial(serialize, operation_model)
    s3, status, no_length = plan.s3, rest.status, rest.length_member is None
    bind = rest.bind

    def serialize_headers(result: dict, request_id: str) -> HttpResponse:
        # serialize's steps for no body: the request id, the members, a zero Content-Length
        # unless the answer's own length is a member (HeadObject's).
        headers = _request_id_headers(s3, request_id)
        answer_status = bind(result, headers) if result else status
        if no_length or result.get(rest.length_member) is None:
            headers.append(_NO_CONTENT)
        return HttpResponse(answer_status, headers, b"", True)

    return serialize_headers


_NO_CONTENT = (b"content-length", b"0")


def serialize(operation_model, result: dict, request_id: str) -> HttpResponse:
    plan = _plan(operation_model)
    rest = plan.rest
    headers = _request_id_headers(plan.s3, request_id)
    status = rest.bind(result, headers) if result else rest.status
    kind = rest.payload_kind
    content_type = None
    body = b""
    if plan.location_constraint:
        body = _location_constraint(result, namespace(operation_model.service_model))
        content_type = plan.content_type
    elif kind is None or kind in ("structure", "union"):
        value = result if kind is None else (result.get(rest.payload) if result else None)
        if plan.write is not None and value is not None:
            out = [_xml.XML_DECLARATION]
            plan.write(out, value)
            body, content_type = "".join(out).encode("utf-8"), plan.content_type
    else:
        value = result.get(rest.payload) if result else None
        if rest.raw_content_type is not None:  # a blob or string payload
            body, content_type = _rest.raw_body(value), rest.raw_content_type
        elif kind == "eventstream":
            body, content_type = plan.events.body(value), _EVENTS_CONTENT_TYPE
    body = rest.finish_body(status, result, headers, body, content_type)
    return HttpResponse(status, headers, body, True)


_S3_RESERVED = frozenset(("Code", "Message", "RequestId", "HostId", _errors.HEADERS_FIELD))


def serialize_error(service_model, operation_model, error: ServiceError, request_id: str) -> HttpResponse:
    info = _errors.resolve(service_model, error)
    headers = _request_id_headers(_is_s3(service_model), request_id)
    if info.shape is not None and error.fields:
        _rest.error_plan(info.shape).bind(error.fields, headers, extras=False)
    headers.extend(_errors.extra_headers(error))
    if _rest.error_without_body(operation_model, info.status):
        return wire_response(info.status, headers, b"")
    if _is_s3(service_model):
        out = [
            (
                f"{_xml.XML_DECLARATION}<Error><Code>{_xml.escape(info.wire_code)}</Code>"
                f"<Message>{_xml.escape(error.message)}</Message>"
            )
        ]
        write_error_members(out, error, info, _xml.REST_XML, _S3_RESERVED)
        out.append(
            f"<RequestId>{_xml.escape(request_id)}</RequestId><HostId>{host_id(request_id)}</HostId></Error>"
        )
        body = "".join(out).encode("utf-8")
        headers.append((b"content-type", b"application/xml"))
    else:
        body = error_document(error, info, request_id, namespace(service_model), _xml.REST_XML)
        headers.append((b"content-type", b"text/xml"))
    return wire_response(info.status, headers, body)
