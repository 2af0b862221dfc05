"""The json protocol's request parser (awsJson 1.0 and 1.1: SQS, KMS, Logs, ECS, ...).

The body is one JSON object shaped like the input (an empty body means {}); timestamps are
epoch seconds (or text, per timestampFormat), blobs base64. See _doc.py for the conversion.
"""

from __future__ import annotations

import json

from ..errors import ServiceError
from . import _errors
from ._doc import compile_converter, error_path
from ._values import BadValue

PROTOCOL = "json"
_converters: dict = {}
_loads = json.loads


def _converter(operation_model):
    shape = operation_model.input_shape
    conv = _converters[operation_model] = compile_converter(shape) if shape is not None else None
    return conv


def parse(operation_model, request) -> dict:
    try:
        conv = _converters[operation_model]
    except KeyError:
        conv = _converter(operation_model)
    body = request.body
    if not body or body.isspace():
        return {}
    try:
        doc = _loads(body)
    except (ValueError, RecursionError) as exc:
        raise _errors.malformed(
            operation_model, PROTOCOL, f"Malformed JSON request body: {exc}"
        ) from None
    if conv is None:
        return {}
    if doc is None:
        return {}
    try:
        return conv(doc)
    except BadValue as exc:
        where = error_path(exc)
        message = f"Invalid value at '{where}': {exc}" if where else f"Invalid request body: {exc}"
        raise _errors.malformed(operation_model, PROTOCOL, message) from None
    except ServiceError:
        raise
    except Exception as exc:  # never let odd input become a 500
        raise _errors.malformed(
            operation_model, PROTOCOL, f"Could not parse the request: {exc}"
        ) from exc
