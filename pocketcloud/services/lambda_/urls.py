"""Function URLs: configuration operations and the HTTP endpoint itself.

A URL is served for real on pocketcloud's port, reached either by Host
(`<url-id>.lambda-url.<region>.<anything>`, as AWS's `<url-id>.lambda-url.<region>.on.aws`) or
by the path form `/_aws/lambda-url/<url-id>/<path>` for clients that cannot set Host. The
function receives AWS's payload format 2.0 event and its answer is mapped back to HTTP as AWS
does (a {"statusCode", "headers", "body", "cookies", "isBase64Encoded"} object, or any other
JSON returned as an application/json body).

URL ids are random; the index from id to function is kept in the "lambda", "_", "_" namespace
(kind "url-id") because a request to a URL carries no account or region credentials.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from ...core.store import Namespace
from ...protocol.errors import ServiceError
from ...protocol.http import HttpResponse
from .functions import load_latest, paginate
from .names import conflict, function_arn, invalid, not_found, public, resolve

PATH_PREFIX = "/_aws/lambda-url/"
HOST_MARKER = ".lambda-url."
MAX_REQUEST_BYTES = 6 * 1024 * 1024
_ALPHABET = string.ascii_lowercase + string.digits
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "application/x-www-form-urlencoded",
               "+json", "+xml")


def _index(runtime) -> Namespace:
    return Namespace(runtime.store, "lambda", "_", "_")


def _key(name: str, qualifier: str | None) -> str:
    return f"{name}:{qualifier or ''}"


def _url(provider, ctx, url_id: str, region: str) -> str:
    endpoint = provider.public_endpoint(ctx)
    port = endpoint.rsplit(":", 1)[1] if endpoint.count(":") > 1 else "80"
    return f"http://{url_id}.lambda-url.{region}.localhost:{port}/"


def _target(ctx, params: dict):
    ns, name, qualifier = resolve(ctx, params["FunctionName"], params.get("Qualifier"))
    load_latest(ns, name)
    if qualifier and qualifier != "$LATEST" and (qualifier.isdigit() or ns.get("alias", f"{name}:{qualifier}") is None):
        if qualifier.isdigit():
            raise invalid("Function URLs can only be created for $LATEST or an alias.")
        raise not_found(f"Function not found: {function_arn(ns.region, ns.account, name, qualifier)}")
    return ns, name, qualifier if qualifier != "$LATEST" else None


def _check_auth(params: dict) -> None:
    if params.get("AuthType") not in (None, "NONE", "AWS_IAM"):
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{params['AuthType']}' at "
                           "'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]")


def create_function_url_config(provider, ctx, params: dict) -> dict:
    ns, name, qualifier = _target(ctx, params)
    _check_auth(params)
    url_id = "".join(secrets.choice(_ALPHABET) for _ in range(32))
    record = {"FunctionUrl": _url(provider, ctx, url_id, ns.region),
              "FunctionArn": function_arn(ns.region, ns.account, name, qualifier),
              "AuthType": params["AuthType"], "CreationTime": ctx.now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
              "InvokeMode": params.get("InvokeMode") or "BUFFERED", "_id": url_id}
    record["LastModifiedTime"] = record["CreationTime"]
    if params.get("Cors"):
        record["Cors"] = params["Cors"]
    with ctx.runtime.store.transaction():
        if ns.get("url", _key(name, qualifier)) is not None:
            raise conflict(f"Failed to create function url config for [functionArn = {record['FunctionArn']}]. "
                           "Error message:  FunctionUrlConfig exists for this Lambda function")
        ns.put("url", _key(name, qualifier), record)
        _index(ctx.runtime).put("url-id", url_id, {"account": ns.account, "region": ns.region, "name": name,
                                                   "qualifier": qualifier})
    out = public(record)
    out.pop("LastModifiedTime")
    return {**out, "__status__": 201}


def _load(ctx, params: dict):
    ns, name, qualifier = _target(ctx, params)
    record = ns.get("url", _key(name, qualifier))
    if record is None:
        raise not_found("The resource you requested does not exist.")
    return ns, name, qualifier, record


def get_function_url_config(ctx, params: dict) -> dict:
    return public(_load(ctx, params)[3])


def update_function_url_config(ctx, params: dict) -> dict:
    _check_auth(params)
    ns, name, qualifier, record = _load(ctx, params)
    for key in ("AuthType", "Cors", "InvokeMode"):
        if key in params:
            record[key] = params[key]
    record["LastModifiedTime"] = ctx.now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    ns.put("url", _key(name, qualifier), record)
    return public(record)


def delete_function_url_config(ctx, params: dict) -> dict:
    ns, name, qualifier, record = _load(ctx, params)
    ns.delete("url", _key(name, qualifier))
    _index(ctx.runtime).delete("url-id", record["_id"])
    return {"__status__": 204}


def list_function_url_configs(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    load_latest(ns, name)
    return paginate([public(r) for _, r in ns.list("url", f"{name}:")], params, "FunctionUrlConfigs")


def forget(runtime, ns, name: str) -> None:
    for _, record in ns.list("url", f"{name}:"):
        _index(runtime).delete("url-id", record["_id"])


# -- the HTTP endpoint ---------------------------------------------------------------------------
def _answer(status: int, message: str, headers: list | None = None) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json"), *(headers or [])],
                        json.dumps({"Message": message}).encode())


def _is_text(content_type: str) -> bool:
    content_type = content_type.lower()
    return any(marker in content_type for marker in _TEXT_TYPES)


def request_event(request, body: bytes, url_id: str, account: str, path: str, host: str) -> dict:
    """AWS's payload format 2.0 event for one HTTP request."""
    headers = {k: v for k, v in request.headers.items()}
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    query: dict[str, str] = {}
    for k, v in parse_qsl(request.query_string, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v
    now = time.time()
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": request.query_string,
        "headers": headers,
        "requestContext": {
            "accountId": account, "apiId": url_id, "domainName": host, "domainPrefix": url_id,
            "http": {"method": request.method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": headers.get("x-forwarded-for", "127.0.0.1").split(",")[0].strip(),
                     "userAgent": headers.get("user-agent", "")},
            "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body:
        if _is_text(headers.get("content-type", "")):
            event["body"] = body.decode("utf-8", "replace")
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def response_from(payload: bytes) -> HttpResponse:
    """Map a function's answer to HTTP as function URLs (and HTTP APIs) do."""
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        result = None
    if isinstance(result, dict) and "statusCode" in result:
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        headers += [("Set-Cookie", str(c)) for c in result.get("cookies") or ()]
        body = result.get("body") or ""
        if not isinstance(body, str):
            body = json.dumps(body)
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        try:
            status = int(result["statusCode"])
        except (TypeError, ValueError):
            return _answer(502, "Internal Server Error")
        return HttpResponse(status, headers, data)
    body = payload if not isinstance(result, str) else result.encode()
    return HttpResponse(200, [("Content-Type", "application/json")], body)


def _cors_headers(cors: dict | None, origin: str | None) -> list:
    if not cors or not origin:
        return []
    allowed = cors.get("AllowOrigins") or []
    if "*" not in allowed and origin not in allowed:
        return []
    headers = [("Access-Control-Allow-Origin", "*" if "*" in allowed and not cors.get("AllowCredentials") else origin)]
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return headers


def _signed(runtime, request) -> bool:
    """AuthType AWS_IAM: the request must carry a valid SigV4 signature of a known key."""
    import hashlib

    from ...core.accounts import resolve_access_key
    from ...gateway import sigv4

    try:
        creds = sigv4.parse_credentials(request.method, request.path, request.query_string, request.headers)
    except ServiceError:
        return False
    if creds is None:
        return False
    _, secret, _ = resolve_access_key(creds.access_key)
    if secret is None:
        return False
    payload_hash = hashlib.sha256(request.body or b"").hexdigest()
    # Clients sign with their own (real) clock: accept a signature fresh by either that or the
    # virtual clock, so moving virtual time does not lock callers out.
    for now in (runtime.clock.now(), datetime.now(timezone.utc)):
        try:
            sigv4.verify(creds, secret, request.method, request.path, request.query_string, request.headers,
                         payload_hash, now)
            return True
        except ServiceError:
            continue
    return False


async def handle(gateway, request, receive) -> HttpResponse:
    from ...gateway.body import read_body
    from .invoke import run, select, too_many_requests

    host = request.headers.get("host", "")
    if request.path.startswith(PATH_PREFIX):
        url_id, _, rest = request.path[len(PATH_PREFIX):].partition("/")
        path = "/" + rest
    else:
        url_id = host.split(HOST_MARKER, 1)[0].rsplit(".", 1)[-1]
        path = request.path
    target = _index(gateway.runtime).get("url-id", url_id) if url_id.isalnum() else None
    if target is None:
        return _answer(404, "Not Found")
    provider = gateway.providers.provider("lambda")
    ns = Namespace(gateway.runtime.store, "lambda", target["account"], target["region"])
    record = ns.get("url", _key(target["name"], target["qualifier"]))
    if record is None:
        return _answer(404, "Not Found")
    cors = _cors_headers(record.get("Cors"), request.headers.get("origin"))
    if request.method == "OPTIONS" and record.get("Cors") and "access-control-request-method" in request.headers:
        extra = [("Access-Control-Allow-Methods", ",".join(record["Cors"].get("AllowMethods") or ["*"])),
                 ("Access-Control-Allow-Headers", ",".join(record["Cors"].get("AllowHeaders") or ["*"])),
                 ("Access-Control-Max-Age", str(record["Cors"].get("MaxAge", 0)))]
        return HttpResponse(200, cors + extra, b"")
    try:
        await read_body(request, receive, MAX_REQUEST_BYTES)
        if record["AuthType"] == "AWS_IAM" and not _signed(gateway.runtime, request):
            return _answer(403, "Forbidden")
        latest, config, invoked = select(ns, target["name"], target["qualifier"])
        event = request_event(request, request.body or b"", url_id, target["account"], path, host)
        outcome = await run(provider, ns, latest, config, json.dumps(event).encode(), invoked)
    except ServiceError as exc:
        if exc.code == "RequestEntityTooLarge":
            return _answer(413, "Request Entity Too Large")
        if exc.code == too_many_requests().code:
            return _answer(429, "Rate Exceeded.")
        return _answer(404 if exc.status == 404 else 502, "Internal Server Error" if exc.status != 404 else "Not Found")
    if outcome.kind == "error":
        return HttpResponse(502, [("Content-Type", "text/plain"), *cors], b"Internal Server Error")
    response = response_from(outcome.payload)
    response.headers.extend(cors)
    return response
