"""Shared entry point of the query and ec2 parsers: collect the pairs, nest them."""

from __future__ import annotations

from ..errors import ServiceError
from . import _errors
from ._form import BadParam, compile_plan, parse_pairs

_EMPTY = None


def make_parse(protocol: str, ec2: bool):
    plans: dict = {}

    def plan_for(operation_model):
        shape = operation_model.input_shape
        plan = plans[operation_model] = compile_plan(shape, ec2) if shape is not None else _EMPTY
        return plan

    def parse(operation_model, request) -> dict:
        try:
            plan = plans[operation_model]
        except KeyError:
            plan = plan_for(operation_model)
        if plan is None:
            return {}
        try:
            return parse_pairs(plan, request.form_pairs())
        except BadParam as bad:
            if ec2:
                message = f"Value ({bad.raw}) for parameter {bad.key} is invalid. {bad.reason}"
            else:
                message = (
                    f"1 validation error detected: Value '{bad.raw}' at '{bad.key}' failed to "
                    f"satisfy constraint: {bad.reason}"
                )
            raise _errors.bad_value(operation_model, protocol, message) from None
        except ServiceError:
            raise
        except Exception as exc:  # never let a parser bug or odd input become a 500
            raise _errors.bad_value(
                operation_model, protocol, f"Could not parse the request: {exc}"
            ) from exc

    return parse
