"""The rest-json protocol's request parser (Lambda, EFS, API Gateway v1/v2).

URI labels, query string, headers and payload are bound by _rest.py; the body (or a
structure payload) is a JSON document converted as in the json protocol (_doc.py).
"""

from __future__ import annotations

import json

from ..errors import ServiceError
from . import _errors
from ._doc import compile_converter
from ._rest import compile_rest_plan, parse_rest

PROTOCOL = "rest-json"
_plans: dict = {}


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
