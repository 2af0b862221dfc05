"""Lambda proxy integration answers (payload format 1.0, and 2.0 when it has a statusCode)."""

from __future__ import annotations

import base64
import json


_PROXY_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}


def parse_proxy_response(payload: bytes, decode_base64: bool = True) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """A Lambda proxy (1.0) response -> (status, headers, body); None when malformed, which
    API Gateway answers with 502. With decode_base64 False an isBase64Encoded body is returned
    as the base64 text it is (REST APIs when the client accepts no binary media type)."""
    try:
        output = json.loads(payload or b"null")
    except ValueError:
        return None
    if not isinstance(output, dict) or set(output) - _PROXY_KEYS:
        return None
    try:
        status = int(output.get("statusCode") or 200)
    except (TypeError, ValueError):
        return None
    if not 100 <= status <= 599:
        return None
    headers: list[tuple[str, str]] = []
    single = output.get("headers") or {}
    multi = output.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return None
    for name, value in single.items():
        if isinstance(value, (dict, list)):
            return None
        if name not in multi:
            headers.append((str(name), _scalar(value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            return None
        for value in values:
            headers.append((str(name), _scalar(value)))
    body = output.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        if output.get("isBase64Encoded") and decode_base64:
            try:
                data = base64.b64decode(body, validate=True)
            except ValueError:
                return None
        else:
            data = body.encode()
    else:
        return None
    return status, headers, data


def _scalar(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)
