"""CORS: a bucket's rules answer browser preflights (OPTIONS) and add Access-Control-* headers
to the answers of requests that carry an Origin."""

from __future__ import annotations

import fnmatch
from urllib.parse import unquote

from ...protocol.http import HttpResponse


def _origin_matches(pattern: str, origin: str) -> bool:
    return pattern == "*" or fnmatch.fnmatchcase(origin.lower(), pattern.lower())


def matching_rule(rules: list[dict] | None, origin: str, method: str, request_headers: list[str] = ()) -> dict | None:
    """The first rule allowing this origin, method and (preflight) requested headers."""
    for rule in rules or []:
        if method not in (rule.get("AllowedMethods") or []):
            continue
        if not any(_origin_matches(p, origin) for p in rule.get("AllowedOrigins") or []):
            continue
        allowed = [h.lower() for h in rule.get("AllowedHeaders") or []]
        if all(any(fnmatch.fnmatchcase(h, a) for a in allowed) for h in request_headers):
            return rule
    return None


def response_headers(rule: dict, origin: str, preflight: bool, request_headers: list[str] = ()) -> dict:
    wildcard = "*" in (rule.get("AllowedOrigins") or [])
    out = {"Access-Control-Allow-Origin": "*" if wildcard else origin,
           "Access-Control-Allow-Methods": ", ".join(rule.get("AllowedMethods") or []),
           "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"}
    if not wildcard:
        out["Access-Control-Allow-Credentials"] = "true"
    if rule.get("ExposeHeaders"):
        out["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    if preflight:
        if request_headers:
            out["Access-Control-Allow-Headers"] = ", ".join(request_headers)
        if rule.get("MaxAgeSeconds") is not None:
            out["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    return out


def headers_for(bucket: dict, request) -> dict | None:
    """Access-Control-* headers for an actual (non-preflight) request with an Origin, if any."""
    origin = request.headers.get("origin")
    if not origin or not bucket.get("cors"):
        return None
    method = request.method if request.method != "HEAD" else "HEAD"
    rule = matching_rule(bucket["cors"], origin, method)
    return response_headers(rule, origin, False) if rule else None


def request_id_headers() -> list[tuple[str, str]]:
    """x-amz-request-id and x-amz-id-2, as every S3 answer carries (websites included)."""
    from ...gateway.ids import new_request_id
    from ...protocol.serializers.rest_xml import host_id

    request_id = new_request_id()
    return [("x-amz-request-id", request_id), ("x-amz-id-2", host_id(request_id))]


def _error(status: int, code: str, message: str) -> HttpResponse:
    headers = request_id_headers()
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{headers[0][1]}</RequestId><HostId>{headers[1][1]}</HostId></Error>").encode()
    return HttpResponse(status, [("Content-Type", "application/xml"), *headers], body)


def bucket_of(request) -> str | None:
    from ...gateway.router import s3_bucket_from_host

    bucket = s3_bucket_from_host(request.host)
    if bucket:
        return bucket
    path = unquote(request.path.lstrip("/"))
    return path.split("/", 1)[0] or None


async def handle(gateway, request, receive) -> HttpResponse:
    """A browser's preflight: OPTIONS with Origin and Access-Control-Request-Method."""
    origin = request.headers.get("origin")
    method = request.headers.get("access-control-request-method")
    if not origin or not method:
        return _error(400, "BadRequest", "Insufficient information. Origin request header needed."
                      if not origin else "Invalid Access-Control-Request-Method header.")
    provider = gateway.providers.provider("s3")
    bucket = provider.buckets.get(bucket_of(request) or "")
    if bucket is None:
        return _error(404, "NoSuchBucket", "The specified bucket does not exist")
    wanted = [h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",")
              if h.strip()]
    rule = matching_rule(bucket.get("cors"), origin, method, wanted)
    if rule is None:
        return _error(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually "
                      "because the evalution of Origin, request method / Access-Control-Request-Method or "
                      "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
    headers = list(response_headers(rule, origin, True, wanted).items())
    return HttpResponse(200, headers + request_id_headers(), b"")
