"""Serving an HTTP API (v2) stage at its invoke URL: stage selection (`$default` has no path
prefix), CORS preflights, route matching, JWT and Lambda authorizers, then the integration
(Lambda proxy with payload format 2.0 or 1.0, HTTP proxy)."""

from __future__ import annotations

import json
import re
from datetime import timezone
from urllib.parse import parse_qsl, quote, unquote, urlencode

from ...core.store import Namespace
from ...protocol.http import HttpResponse
from ..apigateway.common import access_log, iam, throttle
from ..apigateway.common.outbound import (HOP_BY_HOP, IntegrationFailure, IntegrationTimeout, forward_http,
                                          function_arn, invoke_lambda)
from ..apigateway.common.replies import body_for_lambda, client_ip, json_reply, split_query
from ..apigateway.rest_auth import Denied, evaluate_policy
from ..apigateway.serve_rest import parse_proxy_response, stage_substitute
from . import jwt_check, mapping
from .state import snapshots

_tables: dict[int, tuple[dict, list]] = {}
_authorizer_cache: dict[tuple, tuple[float, dict | None]] = {}


def forget_all() -> None:
    _tables.clear()
    _authorizer_cache.clear()


class _Failure(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _compile(snapshot: dict) -> list:
    table = []
    for route in snapshot["routes"].values():
        key = route["RouteKey"]
        if key == "$default":
            continue
        method, _, path = key.partition(" ")
        parts = [p for p in path.split("/") if p]
        names, pattern, literal, greedy = [], "", 0, False
        for part in parts:
            if part.startswith("{") and part.endswith("+}"):
                names.append(part[1:-2])
                pattern += "/(.+)"
                greedy = True
            elif part.startswith("{") and part.endswith("}"):
                names.append(part[1:-1])
                pattern += "/([^/]+)"
            else:
                pattern += "/" + re.escape(part)
                literal += 1
        table.append((method, re.compile((pattern or "/?") + "/?$" if pattern else "^/?$"), names,
                      (not greedy, literal, len(parts)), route))
    return table


def match_route(snapshot: dict, method: str, path: str) -> tuple[dict | None, dict[str, str]]:
    entry = _tables.get(id(snapshot))
    if entry is None or entry[0] is not snapshot:
        if len(_tables) > 500:
            _tables.clear()
        entry = _tables[id(snapshot)] = (snapshot, _compile(snapshot))
    best, best_score, best_params = None, None, {}
    decoded = unquote(path) or "/"
    for route_method, regex, names, score, route in entry[1]:
        if route_method not in (method, "ANY"):
            continue
        found = regex.match(decoded)
        if found is None:
            continue
        full = (*score, route_method == method)
        if best_score is None or full > best_score:
            best, best_score, best_params = route, full, dict(zip(names, found.groups()))
    if best is None:
        best = next((r for r in snapshot["routes"].values() if r["RouteKey"] == "$default"), None)
    return best, best_params


# -- entry -------------------------------------------------------------------------------------

async def serve(inv) -> HttpResponse:
    ns = Namespace(inv.runtime.store, "apigatewayv2", inv.account, inv.region)
    first, _, rest = inv.path.lstrip("/").partition("/")
    stage = ns.get("stage", f"{inv.api_id}/{unquote(first)}") if first and first != "$default" else None
    if inv.stage is not None:  # a custom domain's API mapping named the stage
        stage, path = ns.get("stage", f"{inv.api_id}/{inv.stage}"), inv.path
    elif stage is not None:
        path = "/" + rest
    else:
        stage = ns.get("stage", f"{inv.api_id}/$default")
        path = inv.path
    snapshot = snapshots.load(ns, inv.account, inv.api_id, stage["DeploymentId"]) \
        if stage and stage.get("DeploymentId") else None
    if snapshot is None:
        return json_reply(404, {"message": "Not Found"}, inv.request_id, [("apigw-requestid", inv.request_id)])
    cors = snapshot["api"].get("CorsConfiguration")
    request = inv.request
    if cors and request.method == "OPTIONS" and "origin" in request.headers and \
            "access-control-request-method" in request.headers:
        return _preflight(inv, cors)
    call = _Call(inv, stage, None, path, {})
    error = None
    try:
        response = await _serve(call, snapshot)
    except _Failure as failure:
        error = failure.message
        response = json_reply(failure.status, {"message": failure.message}, inv.request_id)
    settings = stage.get("AccessLogSettings")
    if settings:
        context = _mapping_sources(call)["context"]
        context.update(status=response.status, responseLength=len(response.body or b""), requestTime=call.time,
                       requestTimeEpoch=call.epoch_ms, protocol="HTTP/1.1", error={"message": error},
                       routeKey=(call.route or {}).get("RouteKey", "-"))
        access_log.emit(inv.runtime, settings.get("DestinationArn"), settings.get("Format"), context,
                        stage["StageName"])
    response.headers.append(("apigw-requestid", inv.request_id))
    if cors:
        response.headers.extend(_cors_headers(cors, request.headers.get("origin")))
    return response


def _origin_allowed(cors: dict, origin: str | None) -> str | None:
    if not origin:
        return None
    allowed = cors.get("AllowOrigins") or []
    if "*" in allowed:
        return "*" if not cors.get("AllowCredentials") else origin
    return origin if origin in allowed else None


def _cors_headers(cors: dict, origin: str | None) -> list[tuple[str, str]]:
    allowed = _origin_allowed(cors, origin)
    if allowed is None:
        return []
    headers = [("Access-Control-Allow-Origin", allowed)]
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return headers


def _preflight(inv, cors: dict) -> HttpResponse:
    headers = [("apigw-requestid", inv.request_id)]
    request = inv.request
    allowed = _origin_allowed(cors, request.headers.get("origin"))
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


class _Call:
    def __init__(self, inv, stage: dict, route: dict, path: str, path_params: dict):
        self.inv, self.stage, self.route, self.path, self.path_params = inv, stage, route, path, path_params
        now = inv.runtime.clock.now().astimezone(timezone.utc)
        self.epoch_ms = int(now.timestamp() * 1000)
        self.time = now.strftime("%d/%b/%Y:%H:%M:%S +0000")
        self.authorizer: dict | None = None

    @property
    def raw_path(self) -> str:
        name = self.stage["StageName"]
        return self.path if name == "$default" or self.inv.stage is not None else f"/{name}{self.path}"

    def event_v2(self) -> dict:
        inv, request = self.inv, self.inv.request
        headers = inv.forwarded_headers()
        cookie = headers.pop("cookie", None)
        single, multi = split_query(request.query_string)
        body, encoded = body_for_lambda(request.body, headers.get("content-type"))
        context = {
            "accountId": inv.account, "apiId": inv.api_id, "domainName": inv.domain,
            "domainPrefix": inv.domain.split(".")[0],
            "http": {"method": request.method, "path": self.raw_path, "protocol": "HTTP/1.1",
                     "sourceIp": client_ip(request), "userAgent": headers.get("user-agent", "")},
            "requestId": inv.request_id, "routeKey": self.route["RouteKey"], "stage": self.stage["StageName"],
            "time": self.time, "timeEpoch": self.epoch_ms,
        }
        if self.authorizer is not None:
            context["authorizer"] = self.authorizer
        event = {"version": "2.0", "routeKey": self.route["RouteKey"], "rawPath": self.raw_path,
                 "rawQueryString": request.query_string}
        if cookie:
            event["cookies"] = [c.strip() for c in cookie.split(";") if c.strip()]
        event["headers"] = headers
        if multi:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in multi.items()}
        if self.path_params:
            event["pathParameters"] = dict(self.path_params)
        if self.stage.get("StageVariables"):
            event["stageVariables"] = dict(self.stage["StageVariables"])
        event["requestContext"] = context
        if body is not None:
            event["body"] = body
        event["isBase64Encoded"] = encoded
        return event

    def event_v1(self) -> dict:
        inv, request = self.inv, self.inv.request
        headers = inv.forwarded_headers()
        single, multi = split_query(request.query_string)
        body, encoded = body_for_lambda(request.body, request.headers.get("content-type"))
        context = {
            "accountId": inv.account, "apiId": inv.api_id, "domainName": inv.domain,
            "domainPrefix": inv.domain.split(".")[0], "extendedRequestId": inv.request_id, "httpMethod": request.method,
            "identity": {"sourceIp": client_ip(request), "userAgent": request.headers.get("user-agent", ""),
                         "accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                         "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "principalOrgId": None, "user": None, "userArn": None},
            "path": self.raw_path, "protocol": "HTTP/1.1", "requestId": inv.request_id, "requestTime": self.time,
            "requestTimeEpoch": self.epoch_ms, "resourceId": self.route["RouteKey"],
            "resourcePath": self.route["RouteKey"].partition(" ")[2] or "$default", "stage": self.stage["StageName"],
        }
        if self.authorizer is not None:
            context["authorizer"] = self.authorizer
        return {"version": "1.0", "resource": context["resourcePath"], "path": self.raw_path,
                "httpMethod": request.method, "headers": headers,
                "multiValueHeaders": {k: [v] for k, v in headers.items()},
                "queryStringParameters": single or None, "multiValueQueryStringParameters": multi or None,
                "requestContext": context, "pathParameters": self.path_params or None,
                "stageVariables": self.stage.get("StageVariables") or None, "body": body, "isBase64Encoded": encoded}

    def route_arn(self) -> str:
        inv = self.inv
        method, _, path = self.route["RouteKey"].partition(" ")
        resource = f"{method}{path}" if path else "$default"
        return f"arn:aws:execute-api:{inv.region}:{inv.account}:{inv.api_id}/{self.stage['StageName']}/{resource}"


async def _serve(call: "_Call", snapshot: dict) -> HttpResponse:
    inv = call.inv
    route, params = match_route(snapshot, inv.request.method, call.path)
    if route is None:
        raise _Failure(404, "Not Found")
    call.route, call.path_params = route, params
    _throttle(call)
    auth = route.get("AuthorizationType") or "NONE"
    if auth == "JWT":
        await _jwt(call, snapshot["authorizers"].get(route.get("AuthorizerId")))
    elif auth == "CUSTOM":
        await _lambda_authorizer(call, snapshot["authorizers"].get(route.get("AuthorizerId")))
    elif auth == "AWS_IAM":
        try:
            call.authorizer = {"iam": iam.caller_identity(inv.runtime, inv.request)}
        except iam.NotSigned as refused:
            raise _Failure(refused.status, refused.message) from None
    target = route.get("Target") or ""
    integration = snapshot["integrations"].get(target[13:]) if target.startswith("integrations/") else None
    if integration is None:
        raise _Failure(500, "Internal Server Error")
    if integration["IntegrationType"] == "AWS_PROXY":
        return await _lambda_proxy(call, integration)
    if integration["IntegrationType"] == "HTTP_PROXY":
        return await _http_proxy(call, integration)
    raise _Failure(500, "Internal Server Error")


def _throttle(call: _Call) -> None:
    """The stage's route throttling: the route's RouteSettings over DefaultRouteSettings."""
    stage = call.stage
    route_key = call.route["RouteKey"]
    specific = (stage.get("RouteSettings") or {}).get(route_key) or {}
    default = stage.get("DefaultRouteSettings") or {}
    rate = specific.get("ThrottlingRateLimit", default.get("ThrottlingRateLimit"))
    burst = specific.get("ThrottlingBurstLimit", default.get("ThrottlingBurstLimit"))
    if rate is None and burst is None:
        return
    key = (call.inv.account, call.inv.api_id, stage["StageName"], route_key if specific else "*")
    if not throttle.allow(key, float(rate or 0), int(burst or 0), call.inv.runtime.clock.time()):
        raise _Failure(429, "Too Many Requests")


def _identity(call: _Call, sources: list[str]) -> list[str | None]:
    request = call.inv.request
    single, _ = split_query(request.query_string)
    values = []
    for source in sources:
        if source.startswith("$request.header."):
            values.append(request.headers.get(source[16:].lower()))
        elif source.startswith("$request.querystring."):
            values.append(single.get(source[21:]))
        elif source.startswith("$stageVariables."):
            values.append((call.stage.get("StageVariables") or {}).get(source[16:]))
        else:
            values.append(None)
    return values


async def _jwt(call: _Call, authorizer: dict | None) -> None:
    if authorizer is None:
        raise _Failure(500, "Internal Server Error")
    token = (_identity(call, authorizer.get("IdentitySource") or ["$request.header.Authorization"]) or [None])[0]
    if not token:
        raise _Failure(401, "Unauthorized")
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    config = authorizer.get("JwtConfiguration") or {}
    try:
        claims = await jwt_check.verify(token, config.get("Issuer", ""), config.get("Audience") or [],
                                        call.route.get("AuthorizationScopes") or [], call.inv.runtime.clock.time())
    except jwt_check.Rejected as rejected:
        raise _Failure(rejected.status, rejected.message) from None
    scopes = claims.get("scope") or claims.get("scp")
    call.authorizer = {"jwt": {
        "claims": {k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, (list, dict)) else str(v)
                   for k, v in claims.items()},
        "scopes": (scopes.split() if isinstance(scopes, str) else scopes) or None}}


async def _lambda_authorizer(call: _Call, authorizer: dict | None) -> None:
    """A REQUEST Lambda authorizer: simple responses ({"isAuthorized"}) or an IAM policy."""
    if authorizer is None:
        raise _Failure(500, "Internal Server Error")
    inv = call.inv
    sources = authorizer.get("IdentitySource") or []
    identity = _identity(call, sources)
    if sources and any(not v for v in identity):
        raise _Failure(401, "Unauthorized")
    ttl = authorizer.get("AuthorizerResultTtlInSeconds") or 0
    key = (inv.api_id, authorizer["AuthorizerId"], tuple(identity))
    now = inv.runtime.clock.time()
    cached = _authorizer_cache.get(key) if ttl and sources else None
    if cached is not None and cached[0] > now:
        output = cached[1]
    else:
        v2 = authorizer.get("AuthorizerPayloadFormatVersion", "2.0") == "2.0"
        event = call.event_v2() if v2 else call.event_v1()
        event["type"] = "REQUEST"
        if v2:
            event["routeArn"] = call.route_arn()
            event["identitySource"] = identity
        else:
            event["methodArn"] = call.route_arn()
        arn = function_arn(authorizer.get("AuthorizerUri", ""))
        try:
            payload, error = await invoke_lambda(inv.runtime, arn or "", json.dumps(event).encode(), inv.account,
                                                 inv.region)
            output = None if error else json.loads(payload or b"null")
        except (IntegrationFailure, ValueError):
            output = None
        if ttl and sources:
            _authorizer_cache[key] = (now + ttl, output)
    if not isinstance(output, dict):
        raise _Failure(500, "Internal Server Error")
    if authorizer.get("EnableSimpleResponses"):
        if output.get("isAuthorized") is not True:
            raise _Failure(403, "Forbidden")
        call.authorizer = {"lambda": output.get("context") or {}}
        return
    try:
        evaluate_policy(output.get("policyDocument") or {}, call.route_arn())
    except Denied:
        raise _Failure(403, "Forbidden") from None
    call.authorizer = {"lambda": output.get("context") or {}, "principalId": output.get("principalId")}


async def _lambda_proxy(call: _Call, integration: dict) -> HttpResponse:
    inv = call.inv
    arn = function_arn(stage_substitute(integration.get("IntegrationUri", ""), call.stage.get("StageVariables") or {}))
    if arn is None:
        raise _Failure(500, "Internal Server Error")
    v2 = integration.get("PayloadFormatVersion", "2.0") == "2.0"
    event = call.event_v2() if v2 else call.event_v1()
    try:
        payload, error = await invoke_lambda(inv.runtime, arn, json.dumps(event).encode(), inv.account, inv.region,
                                             integration.get("TimeoutInMillis"))
    except IntegrationTimeout:
        raise _Failure(503, "Service Unavailable") from None
    except IntegrationFailure:
        raise _Failure(500, "Internal Server Error") from None
    if error:
        raise _Failure(500, "Internal Server Error")
    parsed = parse_v2_response(payload) if v2 else parse_proxy_response(payload)
    if parsed is None:
        raise _Failure(500, "Internal Server Error")
    status, headers, body = parsed
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", "application/json"))
    if integration.get("ResponseParameters"):
        status = mapping.apply_response(integration["ResponseParameters"], status, headers, body,
                                        _mapping_sources(call))
    return HttpResponse(status, headers, body)


def parse_v2_response(payload: bytes) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """Payload format 2.0 responses: a structured answer when `statusCode` is present, otherwise
    the returned value itself is the JSON body of a 200."""
    try:
        output = json.loads(payload or b"null")
    except ValueError:
        return None
    if not isinstance(output, dict) or "statusCode" not in output:
        return 200, [("Content-Type", "application/json")], payload or b""
    cookies = output.get("cookies") or []
    structured = {k: v for k, v in output.items() if k != "cookies"}
    parsed = parse_proxy_response(json.dumps(structured).encode())
    if parsed is None or not isinstance(cookies, list):
        return None
    status, headers, body = parsed
    headers.extend(("Set-Cookie", str(c)) for c in cookies)
    return status, headers, body


async def _http_proxy(call: _Call, integration: dict) -> HttpResponse:
    request = call.inv.request

    def fill(match):
        name = match.group(1).rstrip("+")
        return quote(call.path_params.get(name, ""), safe="/")

    uri = stage_substitute(integration["IntegrationUri"], call.stage.get("StageVariables") or {})
    url = re.sub(r"\{([A-Za-z0-9._-]+\+?)\}", fill, uri)
    headers = dict(request.headers)
    headers["x-forwarded-for"] = client_ip(request)
    query = parse_qsl(request.query_string, keep_blank_values=True)
    sources = _mapping_sources(call)
    if integration.get("RequestParameters"):
        scheme, _, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        path = mapping.apply_request(integration["RequestParameters"], sources, headers, query, slash + path)
        url = f"{scheme}://{host}{path}"
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    method = integration.get("IntegrationMethod") or "ANY"
    if method == "ANY":
        method = request.method
    try:
        status, out_headers, body = await forward_http(method, url, headers, request.body,
                                                       integration.get("TimeoutInMillis", 30000))
    except IntegrationFailure:
        raise _Failure(504, "Service Unavailable") from None
    kept = [(k, v) for k, v in out_headers if k.lower() not in HOP_BY_HOP]
    status = mapping.apply_response(integration.get("ResponseParameters"), status, kept, body, sources)
    return HttpResponse(status, kept, body)


def _mapping_sources(call: _Call) -> dict:
    request = call.inv.request
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        body = None
    single, _ = split_query(request.query_string)
    return {"request.header": request.headers, "request.querystring": single, "request.path": call.path_params,
            "request.rawpath": call.path, "request.body": body,
            "context": {"requestId": call.inv.request_id, "apiId": call.inv.api_id, "stage": call.stage["StageName"],
                        "routeKey": (call.route or {}).get("RouteKey"), "domainName": call.inv.domain,
                        "httpMethod": request.method, "path": call.raw_path,
                        "identity": {"sourceIp": client_ip(request)},
                        "authorizer": call.authorizer or {}},
            "stageVariables": call.stage.get("StageVariables") or {}}
