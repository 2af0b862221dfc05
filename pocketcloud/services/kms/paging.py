"""KMS's Limit/Marker pagination, shared by every List operation."""

from __future__ import annotations

import base64

from pocketcloud.protocol.errors import ServiceError


def page(items: list, params: dict, key: str, default_limit: int = 100, limit_max: int = 1000) -> dict:
    limit = params.get("Limit") or default_limit
    if not 1 <= limit <= limit_max:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                           f"Member must have value less than or equal to {limit_max}", 400)
    start = 0
    marker = params.get("Marker")
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode())
        except Exception:
            raise ServiceError("InvalidMarkerException", "Invalid marker.", 400) from None
    chunk = items[start:start + limit]
    out = {key: chunk, "Truncated": start + limit < len(items)}
    if out["Truncated"]:
        out["NextMarker"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
    return out
