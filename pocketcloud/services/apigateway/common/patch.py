"""API Gateway v1's `patchOperations` (a JSON-Patch dialect) applied to stored documents.

Paths are '/'-separated with '~1' standing for '/' in a segment (AWS's escaping, used for header
names and resource paths); values arrive as strings and are converted to the type of the member
they replace (booleans, numbers), as API Gateway does.
"""

from __future__ import annotations

from ....protocol.errors import ServiceError

# Members whose string values must become numbers / booleans.
_NUMBERS = {"rateLimit": float, "burstLimit": int, "limit": int, "offset": int,
            "authorizerResultTtlInSeconds": int, "timeoutInMillis": int, "minimumCompressionSize": int,
            "percentTraffic": float}
_BOOLEANS = {"enabled", "apiKeyRequired", "cacheClusterEnabled", "tracingEnabled",
             "disableExecuteApiEndpoint", "metricsEnabled", "dataTraceEnabled", "cachingEnabled", "useStageCache"}


def _segments(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ServiceError("BadRequestException", f"Invalid patch path {path}", 400)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _convert(key: str, value):
    if value is None:
        return None
    if key in _NUMBERS:
        try:
            return _NUMBERS[key](value)
        except ValueError:
            raise ServiceError("BadRequestException", f"Invalid value for {key}: {value}", 400) from None
    if key in _BOOLEANS:
        return str(value).lower() == "true"
    return value


def apply(doc: dict, operations: list[dict], allowed: set[str] | None = None) -> dict:
    """Apply patch operations to doc in place; `allowed` limits the top-level members."""
    for op in operations or ():
        kind = op.get("op")
        parts = _segments(op.get("path", ""))
        if allowed is not None and parts[0] not in allowed:
            raise ServiceError("BadRequestException",
                               f"Invalid patch path '{op.get('path')}' specified for op '{kind}'. "
                               f"Must be one of: {sorted(allowed)}", 400)
        target = doc
        for depth, part in enumerate(parts[:-1]):
            nxt = target.get(part)
            if isinstance(nxt, list) and depth == len(parts) - 2:
                _patch_list(nxt, kind, parts[-1], op.get("value"))
                break
            if not isinstance(nxt, dict):
                nxt = target[part] = {}
            target = nxt
        else:
            _patch_member(target, kind, parts[-1], op)
    return doc


def _patch_list(items: list, kind: str, element: str, value) -> None:
    """List members are patched by element: "/binaryMediaTypes/image~1png" (add or remove that
    type), "/endpointConfiguration/types/EDGE" (replace EDGE by the value)."""
    if kind == "add":
        if element not in items:
            items.append(element if value is None else value)
    elif kind == "remove":
        if element in items:
            items.remove(element)
    elif kind == "replace":
        items[:] = [value if item == element else item for item in items]
    else:
        raise ServiceError("BadRequestException", f"Invalid patch operation specified: {kind}", 400)


def _patch_member(target: dict, kind: str, key: str, op: dict) -> None:
    if kind in ("replace", "add"):
        value = _convert(key, op.get("value"))
        if isinstance(target.get(key), list) and kind == "add":
            target[key].append(value)
        elif key == "" and kind == "add":
            raise ServiceError("BadRequestException", "Invalid patch path", 400)
        else:
            target[key] = value
    elif kind == "remove":
        current = target.get(key)
        if isinstance(current, list) and op.get("value") is not None:
            target[key] = [v for v in current if v != op.get("value")]
        else:
            target.pop(key, None)
    else:
        raise ServiceError("BadRequestException", f"Invalid patch operation specified: {kind}", 400)
