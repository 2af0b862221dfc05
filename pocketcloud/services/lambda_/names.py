"""Function names, ARNs and qualifiers as Lambda accepts them, and the errors it gives."""

from __future__ import annotations

import re

from ...core.store import Namespace
from ...protocol.errors import ServiceError

_FUNCTION = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d{1}):(?P<account>\d{12}):function:"
    r"|(?P<account2>\d{12}):function:)?(?P<name>[a-zA-Z0-9-_]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]{1,128}))?$")
ALIAS_NAME = re.compile(r"^(?!^[0-9]+$)([a-zA-Z0-9-_]{1,128})$")


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404, Type="User")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, 400, Type="User")


def conflict(message: str) -> ServiceError:
    return ServiceError("ResourceConflictException", message, 409, Type="User")


def validation(value, field: str, constraint: str) -> ServiceError:
    return ServiceError("ValidationException",
                        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
                        f"{constraint}", 400)


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def resolve(ctx, function_name: str, qualifier: str | None = None) -> tuple[Namespace, str, str | None]:
    """(namespace of the function's account and region, bare name, qualifier or None) from
    a name, a partial or full ARN, with or without a qualifier."""
    match = _FUNCTION.match(function_name or "")
    if match is None:
        raise validation(function_name, "functionName",
                         "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
                         "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)"
                         "(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
    account = match.group("account") or match.group("account2") or ctx.account
    region = match.group("region") or ctx.region
    in_name = match.group("qualifier")
    if in_name and qualifier and in_name != qualifier:
        raise invalid("The derived qualifier from the function name does not match the specified qualifier.")
    return Namespace(ctx.runtime.store, "lambda", account, region), match.group("name"), in_name or qualifier


def public(record: dict) -> dict:
    """A stored record without its internal (underscore) fields."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
