"""Which AWS error code a request gets when its input is wrong, by protocol and service.

Four kinds of wrong input, each answered with HTTP 400:
  MALFORMED  the body is not valid JSON / CBOR / XML / form data for the shapes
  BAD_VALUE  a text value (query string, form, header, URI label) does not fit its shape
  MISSING    a required member is absent
  INVALID    a member breaks the model's bounds or type
The protocol decides by default; several services answer with codes of their own.
"""

from __future__ import annotations

MALFORMED, BAD_VALUE, MISSING, INVALID = range(4)

_BY_PROTOCOL = {
    "query": ("MalformedQueryString", "ValidationError", "ValidationError", "ValidationError"),
    "ec2": ("InvalidParameterValue", "InvalidParameterValue", "MissingParameter", "InvalidParameterValue"),
    "json": ("SerializationException", "SerializationException", "ValidationException", "ValidationException"),
    "rest-json": ("SerializationException", "SerializationException", "ValidationException", "ValidationException"),
    "rest-xml": ("MalformedXML", "InvalidArgument", "InvalidArgument", "InvalidArgument"),
    "smithy-rpc-v2-cbor": ("SerializationException", "SerializationException", "ValidationException",
                           "ValidationException"),
}
# None keeps the protocol's code for that kind.
_BY_SERVICE = {
    "lambda": ("InvalidRequestContentException", "InvalidParameterValueException",
               "InvalidParameterValueException", "InvalidParameterValueException"),
    "apigateway": ("BadRequestException",) * 4,
    "apigatewayv2": ("BadRequestException",) * 4,
    "efs": ("BadRequest",) * 4,
    "route53": ("InvalidInput",) * 4,
    "cloudfront": ("MalformedInput", None, None, None),
    "s3": (None, None, "MalformedXML", None),  # a missing member is a missing XML body part
    "sts": (None, None, "MissingParameter", None),
    "sqs": (None, None, "MissingParameter", "InvalidParameterValue"),
    "ecs": (None, None, "InvalidParameterException", "InvalidParameterException"),
    "cloudtrail": (None, None, "InvalidParameterException", "InvalidParameterException"),
    "shield": (None, None, "InvalidParameterException", "InvalidParameterException"),
    "storagegateway": (None, None, "InvalidGatewayRequestException", "InvalidGatewayRequestException"),
}


def code_for(service: str, protocol: str, kind: int) -> str:
    codes = _BY_SERVICE.get(service)
    return (codes and codes[kind]) or _BY_PROTOCOL[protocol][kind]
