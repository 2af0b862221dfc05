"""Answers the invoke URL gives itself (errors, mock responses) and the request facts both API
flavours hand to integrations."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import unquote

from ....protocol.http import HttpResponse


def json_reply(status: int, body: dict | None, request_id: str, extra: list | None = None) -> HttpResponse:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    if extra:
        headers.extend(extra)
    if body is not None:
        headers.append(("x-amzn-ErrorType", _error_type(status)))
    return HttpResponse(status, headers, b"" if body is None else json.dumps(body, separators=(",", ":")).encode())


def _error_type(status: int) -> str:
    return {403: "ForbiddenException", 401: "UnauthorizedException", 404: "NotFoundException",
            429: "TooManyRequestsException", 413: "RequestEntityTooLargeException",
            502: "InternalServerErrorException", 504: "InternalServerErrorException"}.get(
        status, "InternalServerErrorException" if status >= 500 else "BadRequestException")


def split_query(query_string: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(last value of each parameter, every value of each) the way API Gateway hands them to Lambda."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    if not query_string:
        return single, multi
    for piece in query_string.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        key, value = unquote(key.replace("+", " ")), unquote(value.replace("+", " "))
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    kind = content_type.split(";")[0].strip().lower()
    return kind.startswith("text/") or kind in (
        "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded",
    ) or kind.endswith("+json") or kind.endswith("+xml")


def matches_media_type(content_type: str | None, media_types) -> bool:
    """True when content_type is one of media_types ("image/png", "image/*", "*/*")."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if not kind:
        return False
    for pattern in media_types or ():
        pattern = pattern.lower()
        if pattern in ("*/*", kind) or (pattern.endswith("/*") and kind.startswith(pattern[:-1])):
            return True
    return False


def body_for_lambda(body: bytes, content_type: str | None, binary_types=None) -> tuple[str | None, bool]:
    """(body, isBase64Encoded). REST APIs (binary_types given) base64-encode only bodies of their
    binaryMediaTypes and hand anything else over as text; HTTP APIs (binary_types None) encode
    whatever is not a text content type."""
    if not body:
        return None, False
    binary = matches_media_type(content_type, binary_types) if binary_types is not None else not is_text(content_type)
    if not binary:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            if binary_types is not None:
                return body.decode("utf-8", "replace"), False
    return base64.b64encode(body).decode(), True


def client_ip(request, gateway_scope_ip: str = "127.0.0.1") -> str:
    forwarded = request.headers.get("x-forwarded-for")
    return forwarded.split(",")[0].strip() if forwarded else gateway_scope_ip


def stage_substitute(text: str, variables: dict) -> str:
    """`${stageVariables.name}` in an integration URI or function ARN, filled from the stage."""
    if "${" not in text:
        return text
    return re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: variables.get(m.group(1), ""), text)
