"""The smithy-rpc-v2-cbor protocol's request parser (CloudWatch, Snowball).

POST /service/<Service>/operation/<Operation> with a CBOR map shaped like the input (an
empty body means {}); timestamps are tag-1 epoch values, blobs byte strings.
"""

from __future__ import annotations

import cbor2

from ..errors import ServiceError
from . import _errors
from ._doc import compile_converter, error_path
from ._values import BadValue

PROTOCOL = "smithy-rpc-v2-cbor"
_converters: dict = {}
_loads = cbor2.loads


def _converter(operation_model):
    shape = operation_model.input_shape
    conv = _converters[operation_model] = (
        compile_converter(shape, binary=True) if shape is not None else None
    )
    return conv


def parse(operation_model, request) -> dict:
    try:
        conv = _converters[operation_model]
    except KeyError:
        conv = _converter(operation_model)
    body = request.body
    if not body:
        return {}
    try:
        doc = _loads(body)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, EOFError) as exc:
        raise _errors.malformed(
            operation_model, PROTOCOL, f"Malformed CBOR request body: {exc}"
        ) from None
    if conv is None or doc is None or doc is cbor2.undefined:
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
