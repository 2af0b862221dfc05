"""The AWS error codes a parser answers with when the wire input cannot be read.

Two kinds of failure (malformed input, a bad text value), each with the code the real service
uses (protocol/error_codes.py). Always HTTP 400.
"""

from __future__ import annotations

from ..error_codes import BAD_VALUE, MALFORMED, code_for
from ..errors import ServiceError

def _code(operation_model, protocol: str, kind: int) -> str:
    try:
        service = operation_model.service_model.service_name
    except AttributeError:
        service = ""
    return code_for(service, protocol, kind)


def malformed(operation_model, protocol: str, message: str) -> ServiceError:
    code = _code(operation_model, protocol, MALFORMED)
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
    return ServiceError(_code(operation_model, protocol, BAD_VALUE), message, 400)
