"""Matching a raised ServiceError to the service's modelled error shape.

A provider may raise an error under its wire code (IAM's "NoSuchEntity") or under the
shape's name ("NoSuchEntityException"); both find the same shape. The shape then supplies
the wire code (query, ec2 and rest-xml send the model's error.code), the JSON __type (the
shape name), the HTTP status when the provider left the default 400, and the members whose
values come from the error's fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ServiceError
from ._values import extra_headers as _extra_headers
from ._values import wire_value

DEFAULT_STATUS = 400

# SQS moved from query to JSON while keeping its query-era error codes on the wire (the
# x-amzn-query-error header); botocore's SQS model no longer lists them, so they live here:
# shape name -> (query error code, HTTP status), as the service's Smithy model declares.
SQS_QUERY_ERRORS = {
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "InvalidAddress": ("InvalidAddress", 404),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "InvalidSecurity": ("InvalidSecurity", 403),
    "KmsAccessDenied": ("KMS.AccessDeniedException", 400),
    "KmsDisabled": ("KMS.DisabledException", 400),
    "KmsInvalidKeyUsage": ("KMS.InvalidKeyUsageException", 400),
    "KmsInvalidState": ("KMS.InvalidStateException", 400),
    "KmsNotFound": ("KMS.NotFoundException", 400),
    "KmsOptInRequired": ("KMS.OptInRequired", 403),
    "KmsThrottled": ("KMS.ThrottlingException", 400),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "OverLimit": ("OverLimit", 403),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 404),
    "RequestThrottled": ("RequestThrottled", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
}
_SERVICE_QUERY_ERRORS = {"sqs": SQS_QUERY_ERRORS}

# Keys of ServiceError.fields that are never modelled members.
HEADERS_FIELD = "__headers__"


@dataclass(frozen=True)
class ErrorInfo:
    shape: object  # botocore StructureShape, or None for an unmodelled code
    shape_name: str  # what JSON protocols send as __type
    wire_code: str  # what query/ec2/rest-xml send as <Code> (and the query-compatible code)
    status: int
    sender_fault: bool
    message_key: str | None  # the error shape's own member for the message, if any


class _ServiceErrors:
    def __init__(self, service_model):
        self.model = service_model  # held so the id() key of the cache stays valid
        query_codes = _SERVICE_QUERY_ERRORS.get(service_model.service_name, {})
        self.by_code: dict[str, object] = {}
        self.by_name: dict[str, object] = {}
        self.query_codes = query_codes
        for shape in service_model.error_shapes:
            self.by_name[shape.name] = shape
            code = query_codes.get(shape.name, (shape.error_code,))[0]
            # Two shapes may share a wire code (CloudWatch's ResourceNotFound); the shape
            # named like the code wins, so its __type stays the code.
            if code not in self.by_code or shape.name == code:
                self.by_code[code] = shape
        self.infos: dict[tuple, ErrorInfo] = {}


_services: dict[int, _ServiceErrors] = {}


def _service_errors(service_model) -> _ServiceErrors:
    entry = _services.get(id(service_model))
    if entry is None or entry.model is not service_model:
        entry = _services[id(service_model)] = _ServiceErrors(service_model)
    return entry


def message_member(shape) -> str | None:
    if shape is None:
        return None
    for name in shape.members:
        if name.lower() == "message":
            return name
    return None


def resolve(service_model, error: ServiceError) -> ErrorInfo:
    errors = _service_errors(service_model)
    key = (error.code, error.status, error.sender_fault)
    info = errors.infos.get(key)
    if info is not None:
        return info
    shape = errors.by_code.get(error.code) or errors.by_name.get(error.code)
    status, sender_fault = error.status, error.sender_fault
    if shape is None:
        info = ErrorInfo(None, error.code, error.code, status, sender_fault, None)
    else:
        meta = shape.metadata.get("error") or {}
        query_code, query_status = errors.query_codes.get(shape.name, (shape.error_code, None))
        if status == DEFAULT_STATUS:
            modelled = query_status or meta.get("httpStatusCode")
            if modelled and modelled != status:
                status = modelled
                sender_fault = meta.get("senderFault", status < 500)
        info = ErrorInfo(shape, shape.name, query_code, status, sender_fault, message_member(shape))
    if len(errors.infos) < 4096:  # bounded: codes are few, but they come from providers
        errors.infos[key] = info
    return info


def extra_headers(error: ServiceError) -> list[tuple[bytes, bytes]]:
    return _extra_headers(error.fields.get(HEADERS_FIELD))


def query_error_headers(service_model, info) -> list[tuple[bytes, bytes]]:
    """x-amzn-query-error (code;fault) of a service that moved off the query protocol keeping its
    query-era codes (metadata awsQueryCompatible: SQS...), which its SDKs read; else none."""
    if service_model.metadata.get("awsQueryCompatible") is None:
        return []
    return [(b"x-amzn-query-error", wire_value(f"{info.wire_code};{fault_name(info.sender_fault)}"))]


def fault_name(sender_fault: bool) -> str:
    return "Sender" if sender_fault else "Receiver"
