"""Shared entry point of the json and smithy-rpc-v2-cbor parsers: decode the body, convert it.

Both protocols send the whole input as one document (JSON text or CBOR) shaped like the
input structure; they differ only in the decoder, what it raises, and whether a blank body
counts as empty. The parse function is built per protocol, so the per-request path has no
extra call.
"""

from __future__ import annotations

from ..errors import ServiceError
from . import _errors
from ._converters import bad_body_message
from ._doc import UNDEFINED, compile_converter
from ._values import BadValue


def make_parse(protocol: str, *, binary: bool, decode, decode_errors: tuple, format_name: str,
               blank_is_empty: bool):
    """parse(operation_model, request) -> input dict for a document protocol.

    decode(body) -> document, raising one of decode_errors on a malformed body; binary picks
    CBOR's value conventions (see _doc); blank_is_empty reads a body of only white space as
    empty (it is not empty CBOR: b" " is the integer -1).
    """
    converters: dict = {}
    undefined = UNDEFINED

    def converter_for(operation_model):
        shape = operation_model.input_shape
        conv = converters[operation_model] = (
            compile_converter(shape, binary) if shape is not None else None
        )
        return conv

    def parse(operation_model, request) -> dict:
        try:
            conv = converters[operation_model]
        except KeyError:
            conv = converter_for(operation_model)
        body = request.body
        if not body or (blank_is_empty and body.isspace()):
            return {}
        try:
            doc = decode(body)
        except decode_errors as exc:
            raise _errors.malformed(
                operation_model, protocol, f"Malformed {format_name} request body: {exc}"
            ) from None
        if conv is None or doc is None or doc is undefined:
            return {}
        try:
            return conv(doc)
        except BadValue as exc:
            raise _errors.malformed(operation_model, protocol, bad_body_message(exc)) from None
        except ServiceError:
            raise
        except Exception as exc:  # never let odd input become a 500
            raise _errors.unexpected(operation_model, protocol, exc) from exc

    return parse
