"""An HTTP API's CorsConfiguration: preflights answered by API Gateway itself, and the CORS
headers added to other answers."""

from __future__ import annotations

from ...protocol.http import HttpResponse


def origin_allowed(cors: dict, origin: str | None) -> str | None:
    if not origin:
        return None
    allowed = cors.get("AllowOrigins") or []
    if "*" in allowed:
        return "*" if not cors.get("AllowCredentials") else origin
    return origin if origin in allowed else None


def cors_headers(cors: dict, origin: str | None) -> list[tuple[str, str]]:
    allowed = origin_allowed(cors, origin)
    if allowed is None:
        return []
    headers = [("Access-Control-Allow-Origin", allowed)]
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return headers


def preflight(inv, cors: dict) -> HttpResponse:
    headers = [("apigw-requestid", inv.request_id)]
    request = inv.request
    allowed = origin_allowed(cors, request.headers.get("origin"))
    wanted = request.headers.get("access-control-request-method", "").upper()
    methods = [m.upper() for m in cors.get("AllowMethods") or []]
    if allowed is not None and (not methods or "*" in methods or wanted in methods):
        headers.append(("Access-Control-Allow-Origin", allowed))
        headers.append(("Access-Control-Allow-Methods", ",".join(methods) if methods else wanted))
        if cors.get("AllowHeaders"):
            allow_headers = cors["AllowHeaders"]
            requested = request.headers.get("access-control-request-headers")
            headers.append(("Access-Control-Allow-Headers",
                            requested if "*" in allow_headers and requested else ",".join(allow_headers)))
        if cors.get("AllowCredentials"):
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if cors.get("MaxAge") is not None:
            headers.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    return HttpResponse(204, headers, b"")
