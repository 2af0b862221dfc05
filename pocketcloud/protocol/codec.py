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
# botocore's own ParamValidator checks required members, types and minimums the way the
# service models define them; AWS services differ only in the error code they return.

_VALIDATION_CODE = {
    "query": "ValidationError",
    "ec2": "InvalidParameterValue",
    "json": "ValidationException",
    "rest-json": "ValidationException",
    "rest-xml": "InvalidArgument",
    "smithy-rpc-v2-cbor": "ValidationException",
}
_MISSING_CODE = {"ec2": "MissingParameter"}
# Services whose validation errors carry their own code.
_SERVICE_VALIDATION_CODE = {
    "sqs": "MissingParameter",
    "lambda": "InvalidParameterValueException",
    "apigateway": "BadRequestException",
    "apigatewayv2": "BadRequestException",
    "route53": "InvalidInput",
    "sts": "MissingParameter",
    "ecs": "InvalidParameterException",
    "cloudtrail": "InvalidParameterException",
    "storagegateway": "InvalidGatewayRequestException",
    "efs": "BadRequest",
    "shield": "InvalidParameterException",
}

_validator = None


def validate_input(operation_model, protocol: str, params: dict) -> None:
    global _validator
    shape = operation_model.input_shape
    if shape is None:
        return
    if _validator is None:
        from botocore.validate import ParamValidator

        _validator = ParamValidator()
    report = _validator.validate(params, shape)
    if not report.has_errors():
        return
    errors = report._errors  # (kind, name, details); the public API only offers the text
    kind = errors[0][0]
    service = operation_model.service_model.service_name
    if kind == "missing required field" and protocol in _MISSING_CODE:
        code = _MISSING_CODE[protocol]
    else:
        code = _SERVICE_VALIDATION_CODE.get(service, _VALIDATION_CODE[protocol])
    message = report.generate_report().replace("\n", " ").strip()
    status = 404 if code == "NotFoundException" else 400
    raise ServiceError(code, message, status)
