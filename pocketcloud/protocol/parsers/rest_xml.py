"""The rest-xml protocol's request parser (S3, CloudFront, Route 53).

URI labels, query string, headers and payload are bound by _rest.py; the body (or a
structure payload) is an XML document read safely (no DTDs, no entities) and converted by
shape in _xml.py. aws-chunked upload bodies are decoded on the fly (protocol/aws_chunked.py).
"""

from __future__ import annotations

from ..errors import ServiceError
from . import _errors
from ._rest import compile_rest_plan, parse_rest
from ._xml import MalformedXml, compile_converter, parse_xml

PROTOCOL = "rest-xml"
_plans: dict = {}


def _compile_body(shape, members):
    return compile_converter(shape, members)


def _read_document(operation_model, body: bytes):
    if body.isspace():
        return None
    try:
        return parse_xml(body)
    except MalformedXml as exc:
        raise _errors.malformed(
            operation_model, PROTOCOL, _malformed_message(operation_model, exc)
        ) from None


def parse(operation_model, request) -> dict:
    plan = _plans.get(operation_model)
    if plan is None:
        plan = _plans[operation_model] = compile_rest_plan(operation_model, _compile_body)
    try:
        return parse_rest(plan, operation_model, request, PROTOCOL, _read_document)
    except ServiceError:
        raise
    except Exception as exc:  # never let odd input become a 500
        raise _errors.malformed(
            operation_model, PROTOCOL, f"Could not parse the request: {exc}"
        ) from exc


def _malformed_message(operation_model, exc) -> str:
    if operation_model.service_model.service_name == "s3":
        return (
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
    return f"Could not parse the XML request body: {exc}"
