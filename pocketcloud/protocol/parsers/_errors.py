"""The AWS error codes a parser answers with when the wire input cannot be read.

Two kinds of failure, each with the code the real service uses:
  malformed  the body is not valid JSON / CBOR / XML (or its values do not fit the shapes)
  bad value  a text value in a query string, form body, header or URI label does not fit
             its shape (e.g. "abc" for an integer)
Always HTTP 400.
"""

from __future__ import annotations

from ..errors import ServiceError

_MALFORMED_BY_PROTOCOL = {
    "query": "MalformedQueryString",
    "ec2": "InvalidParameterValue",
    "json": "SerializationException",
    "rest-json": "SerializationException",
    "rest-xml": "MalformedXML",
    "smithy-rpc-v2-cbor": "SerializationException",
}
_MALFORMED_BY_SERVICE = {
    ("rest-json", "lambda"): "InvalidRequestContentException",
    ("rest-json", "apigateway"): "BadRequestException",
    ("rest-json", "apigatewayv2"): "BadRequestException",
    ("rest-json", "efs"): "BadRequest",
    ("rest-xml", "route53"): "InvalidInput",
    ("rest-xml", "cloudfront"): "MalformedInput",
}

_BAD_VALUE_BY_PROTOCOL = {
    "query": "ValidationError",
    "ec2": "InvalidParameterValue",
    "json": "SerializationException",
    "rest-json": "SerializationException",
    "rest-xml": "InvalidArgument",
    "smithy-rpc-v2-cbor": "SerializationException",
}
_BAD_VALUE_BY_SERVICE = {
    ("rest-json", "lambda"): "InvalidParameterValueException",
    ("rest-json", "apigateway"): "BadRequestException",
    ("rest-json", "apigatewayv2"): "BadRequestException",
    ("rest-json", "efs"): "BadRequest",
    ("rest-xml", "route53"): "InvalidInput",
}


def _service(operation_model) -> str:
    try:
        return operation_model.service_model.service_name
    except AttributeError:
        return ""


def malformed(operation_model, protocol: str, message: str) -> ServiceError:
    code = (
        _MALFORMED_BY_SERVICE.get((protocol, _service(operation_model)))
        or _MALFORMED_BY_PROTOCOL[protocol]
    )
    if code == "MalformedXML" and not message:
        message = (
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
    return ServiceError(code, message, 400)


def bad_value(operation_model, protocol: str, message: str) -> ServiceError:
    code = (
        _BAD_VALUE_BY_SERVICE.get((protocol, _service(operation_model)))
        or _BAD_VALUE_BY_PROTOCOL[protocol]
    )
    return ServiceError(code, message, 400)
