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


# Value sharing (tags 28/29) lets a few bytes name one container many times: a 200-byte body
# decodes to a map key whose hash walks 2**30 tuples, or to lists that conversion and
# validation walk billions of times, blocking the server. Smithy RPC v2 clients never share
# values, so cbor2 is told to refuse the two tags while decoding.
def _refuse_sharing(*_args):
    raise ValueError("shared values are not supported")


_SEMANTIC = {28: _refuse_sharing, 29: _refuse_sharing}


def _decode(body: bytes):
    return _loads(body, semantic_decoders=_SEMANTIC)


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
        doc = _decode(body)
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
