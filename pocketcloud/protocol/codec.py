"""The one codec: wire request -> plain dict -> provider -> dict -> wire response.

Each protocol has a parser module (protocol/parsers/<name>.py, `parse(operation_model,
request) -> dict`) and a serializer module (protocol/serializers/<name>.py,
`serialize(operation_model, result, request_id) -> HttpResponse` and
`serialize_error(service_model, operation_model, error, request_id) -> HttpResponse`).
"""

from __future__ import annotations

from importlib import import_module

from .errors import ServiceError
from .http import HttpRequest, HttpResponse
from .validate import MISSING, validate

_MODULES = {
    "query": "query",
    "ec2": "ec2",
    "json": "json_rpc",
    "rest-json": "rest_json",
    "rest-xml": "rest_xml",
    "smithy-rpc-v2-cbor": "rpcv2_cbor",
}

_parsers: dict[str, object] = {}
_serializers: dict[str, object] = {}


def _module(kind: str, cache: dict, protocol: str):
    mod = cache.get(protocol)
    if mod is None:
        try:
            name = _MODULES[protocol]
        except KeyError:
            raise ValueError(f"unknown protocol {protocol!r}") from None
        mod = cache[protocol] = import_module(f"pocketcloud.protocol.{kind}.{name}")
    return mod


def parse_request(operation_model, protocol: str, request: HttpRequest, validate: bool = True) -> dict:
    """Parse a wire request into the operation's input dict; raises ServiceError."""
    params = _module("parsers", _parsers, protocol).parse(operation_model, request)
    if validate:
        validate_input(operation_model, protocol, params)
    return params


def serialize_response(operation_model, protocol: str, result: dict, request_id: str) -> HttpResponse:
    return _module("serializers", _serializers, protocol).serialize(operation_model, result or {}, request_id)


def serialize_error(service_model, operation_model, protocol: str, error: ServiceError, request_id: str) -> HttpResponse:
    return _module("serializers", _serializers, protocol).serialize_error(
        service_model, operation_model, error, request_id
    )


# --- input validation ------------------------------------------------------------------
# protocol/validate.py checks the input against the model; AWS services differ in the error
# code they return for it.

_VALIDATION_CODE = {
    "query": "ValidationError",
    "ec2": "InvalidParameterValue",
    "json": "ValidationException",
    "rest-json": "ValidationException",
    "rest-xml": "InvalidArgument",
    "smithy-rpc-v2-cbor": "ValidationException",
}
# (code for a missing required member, code for any other violation) where a service differs.
_SERVICE_CODES = {
    "ec2": ("MissingParameter", "InvalidParameterValue"),
    "sts": ("MissingParameter", "ValidationError"),
    "sqs": ("MissingParameter", "InvalidParameterValue"),
    "lambda": ("InvalidParameterValueException", "InvalidParameterValueException"),
    "apigateway": ("BadRequestException", "BadRequestException"),
    "apigatewayv2": ("BadRequestException", "BadRequestException"),
    "route53": ("InvalidInput", "InvalidInput"),
    "cloudfront": ("InvalidArgument", "InvalidArgument"),
    "s3": ("MalformedXML", "InvalidArgument"),
    "ecs": ("InvalidParameterException", "InvalidParameterException"),
    "cloudtrail": ("InvalidParameterException", "InvalidParameterException"),
    "storagegateway": ("InvalidGatewayRequestException", "InvalidGatewayRequestException"),
    "efs": ("BadRequest", "BadRequest"),
    "shield": ("InvalidParameterException", "InvalidParameterException"),
}

def validate_input(operation_model, protocol: str, params: dict) -> None:
    shape = operation_model.input_shape
    if shape is None:
        return
    violations = validate(params, shape)
    if violations is None:
        return
    service = operation_model.service_model.service_name
    codes = _SERVICE_CODES.get(service)
    if codes:
        code = codes[0] if violations.first_kind == MISSING else codes[1]
    else:
        code = _VALIDATION_CODE[protocol]
    message = violations.message()
    if protocol == "ec2" and violations.first_kind == MISSING:
        message = f"The request must contain the parameter {violations.first_missing}"  # EC2's wording
    raise ServiceError(code, message, 400)
