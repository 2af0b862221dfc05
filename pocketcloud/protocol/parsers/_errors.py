"""The AWS error codes a parser answers with when the wire input cannot be read.

Two kinds of failure, each with the code the real service uses:
  malformed  the body is not valid JSON / CBOR / XML (or its values do not fit the shapes)
  bad value  a text value in a query string, form body, header or URI label does not fit
             its shape (e.g. "abc" for an integer)
Always HTTP 400.
"""

from __future__ import annotations

from ..errors import ServiceError

# The codes of both kinds, per protocol: (malformed, bad value).
_CODES_BY_PROTOCOL = {
    "query": ("MalformedQueryString", "ValidationError"),
    "ec2": ("InvalidParameterValue", "InvalidParameterValue"),
    "json": ("SerializationException", "SerializationException"),
    "rest-json": ("SerializationException", "SerializationException"),
    "rest-xml": ("MalformedXML", "InvalidArgument"),
    "smithy-rpc-v2-cbor": ("SerializationException", "SerializationException"),
}
# Services that answer with codes of their own; None keeps the protocol's.
_CODES_BY_SERVICE = {
    ("rest-json", "lambda"): ("InvalidRequestContentException", "InvalidParameterValueException"),
    ("rest-json", "apigateway"): ("BadRequestException", "BadRequestException"),
    ("rest-json", "apigatewayv2"): ("BadRequestException", "BadRequestException"),
    ("rest-json", "efs"): ("BadRequest", "BadRequest"),
    ("rest-xml", "route53"): ("InvalidInput", "InvalidInput"),
    ("rest-xml", "cloudfront"): ("MalformedInput", None),
}
_MALFORMED, _BAD_VALUE = 0, 1


def _code(operation_model, protocol: str, kind: int) -> str:
    try:
        service = operation_model.service_model.service_name
    except AttributeError:
        service = ""
    codes = _CODES_BY_SERVICE.get((protocol, service))
    return (codes and codes[kind]) or _CODES_BY_PROTOCOL[protocol][kind]


def malformed(operation_model, protocol: str, message: str) -> ServiceError:
    code = _code(operation_model, protocol, _MALFORMED)
    if code == "MalformedXML" and not message:
        message = (
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
    return ServiceError(code, message, 400)


def unexpected(operation_model, protocol: str, exc: Exception) -> ServiceError:
    """A malformed-input error for anything else that went wrong reading the request:
    odd input must never become a 500."""
    return malformed(operation_model, protocol, f"Could not parse the request: {exc}")


def bad_value(operation_model, protocol: str, message: str) -> ServiceError:
    return ServiceError(_code(operation_model, protocol, _BAD_VALUE), message, 400)
