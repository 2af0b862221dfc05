"""The rest-xml protocol's request parser (S3, CloudFront, Route 53).

URI labels, query string, headers and payload are bound by _rest.py; the body (or a
structure payload) is an XML document read safely (no DTDs, no entities) and converted by
shape in _xml.py. aws-chunked upload bodies are decoded on the fly (protocol/aws_chunked.py).
"""

from __future__ import annotations

from . import _errors
from ._rest import make_parse, typed_members  # noqa: F401 (codec.input_check reads it)
from ._xml import MalformedXml, compile_converter, parse_xml

PROTOCOL = "rest-xml"


def _read_document(operation_model, body: bytes):
    if body.isspace():
        return None
    try:
        return parse_xml(body)
    except MalformedXml as exc:
        raise _errors.malformed(
            operation_model, PROTOCOL, _malformed_message(operation_model, exc)
        ) from None


def _malformed_message(operation_model, exc) -> str:
    if operation_model.service_model.service_name == "s3":
        return (
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
    return f"Could not parse the XML request body: {exc}"


parse, parser = make_parse(PROTOCOL, compile_converter, _read_document)
