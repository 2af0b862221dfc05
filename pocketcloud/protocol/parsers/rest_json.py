"""The rest-json protocol's request parser (Lambda, EFS, API Gateway v1/v2).

URI labels, query string, headers and payload are bound by _rest.py; the body (or a
structure payload) is a JSON document converted as in the json protocol (_doc.py).
"""

from __future__ import annotations

import json

from . import _errors
from ._doc import compile_converter
from ._rest import make_parse, typed_members  # noqa: F401 (codec.input_check reads it)

PROTOCOL = "rest-json"


def _compile_body(shape, members):
    return compile_converter(shape, binary=False, members=members)


def _read_document(operation_model, body: bytes):
    if body.isspace():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _errors.malformed(
            operation_model, PROTOCOL, f"Malformed JSON request body: {exc}"
        ) from None


parse, parser = make_parse(PROTOCOL, _compile_body, _read_document)
