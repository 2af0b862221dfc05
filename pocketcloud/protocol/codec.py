"""The one codec: wire request -> plain dict -> provider -> dict -> wire response.

Each protocol has a parser module (protocol/parsers/<name>.py, `parse(operation_model,
request) -> dict`) and a serializer module (protocol/serializers/<name>.py,
`serialize(operation_model, result, request_id) -> HttpResponse` and
`serialize_error(service_model, operation_model, error, request_id) -> HttpResponse`).
"""

from __future__ import annotations

from functools import partial
from importlib import import_module

from . import error_codes
from .errors import ServiceError
from .http import HttpRequest, HttpResponse
from .validate import MISSING, accept_all, valid_fn, valid_fn_typed, validate

_MODULES = {
    "query": "query",
    "ec2": "ec2",
    "json": "json_rpc",
    "rest-json": "rest_json",
    "rest-xml": "rest_xml",
    "smithy-rpc-v2-cbor": "rpcv2_cbor",
}

_parsers: dict[str, object] = {}
_serializers: dict[str, object] = {}


def _module(kind: str, cache: dict, protocol: str):
    mod = cache.get(protocol)
    if mod is None:
        try:
            name = _MODULES[protocol]
        except KeyError:
            raise ValueError(f"unknown protocol {protocol!r}") from None
        mod = cache[protocol] = import_module(f"pocketcloud.protocol.{kind}.{name}")
    return mod


def operation_parser(operation_model, protocol: str):
    """request -> params (no input check) for one operation (the REST protocols make their
    own: `parser`)."""
    return _for_operation(_module("parsers", _parsers, protocol), "parser", "parse", operation_model)


def operation_serializer(operation_model, protocol: str):
    """(result, request_id) -> HttpResponse for one operation (rest-xml makes its own:
    `serializer`)."""
    return _for_operation(_module("serializers", _serializers, protocol), "serializer", "serialize", operation_model)


def _for_operation(module, maker: str, general: str, operation_model):
    """The module's function made for the operation where it has a `maker`, else its
    `general` function with the operation bound."""
    make = getattr(module, maker, None)
    return make(operation_model) if make is not None else partial(getattr(module, general), operation_model)


def input_check(operation_model, protocol: str | None = None):
    """params -> bool: whether the input is valid (validate_input then says why it is not).
    With `protocol`, what its parser has typed already is not checked again."""
    shape = operation_model.input_shape
    if shape is None:
        return accept_all
    typed = getattr(_module("parsers", _parsers, protocol), "typed_members", None) if protocol else None
    return valid_fn(shape) if typed is None else valid_fn_typed(shape, typed(operation_model))


def parse_request(operation_model, protocol: str, request: HttpRequest, validate: bool = True) -> dict:
    """Parse a wire request into the operation's input dict; raises ServiceError."""
    params = _module("parsers", _parsers, protocol).parse(operation_model, request)
    if validate:
        validate_input(operation_model, protocol, params)
    return params


def serialize_response(operation_model, protocol: str, result: dict, request_id: str) -> HttpResponse:
    return _module("serializers", _serializers, protocol).serialize(operation_model, result or {}, request_id)


def serialize_error(service_model, operation_model, protocol: str, error: ServiceError, request_id: str) -> HttpResponse:
    return _module("serializers", _serializers, protocol).serialize_error(
        service_model, operation_model, error, request_id
    )


# --- input validation ------------------------------------------------------------------
# protocol/validate.py checks the input against the model; protocol/error_codes.py says which
# code each service answers with.

def validate_input(operation_model, protocol: str, params: dict) -> None:
    shape = operation_model.input_shape
    if shape is None:
        return
    violations = validate(params, shape)
    if violations is None:
        return
    kind = error_codes.MISSING if violations.first_kind == MISSING else error_codes.INVALID
    code = error_codes.code_for(operation_model.service_model.service_name, protocol, kind)
    message = violations.message()
    if protocol == "ec2" and violations.first_kind == MISSING:
        message = f"The request must contain the parameter {violations.first_missing}"  # EC2's wording
    raise ServiceError(code, message, 400)
