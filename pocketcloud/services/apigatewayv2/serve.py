"""Serving an HTTP API (v2) stage at its invoke URL: stage selection (`$default` has no path
prefix), CORS preflights, route matching, throttling, authorizers, then the integration (Lambda
proxy with payload format 2.0 or 1.0, HTTP proxy with parameter mapping)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode

from ...core.store import Namespace
from ...protocol.http import HttpResponse
from ..apigateway.common import access_log, aws_service, iam, throttle
from ..apigateway.common.outbound import (HOP_BY_HOP, IntegrationFailure, IntegrationTimeout, forward_http,
                                          function_arn, invoke_lambda)
from ..apigateway.common.proxy_response import parse_proxy_response
from ..apigateway.common.replies import client_ip, json_reply, stage_substitute
from . import auth, mapping, route_match
from .call import Call, Failure, mapping_sources
from .cors import cors_headers, preflight
from .state import snapshots


def forget_all() -> None:
    route_match.forget_all()
    auth.forget_all()


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
        return preflight(inv, cors)
    call = Call(inv, stage, None, path, {})
    error = None
    try:
        response = await _serve(call, snapshot)
    except Failure as failure:
        error = failure.message
        response = json_reply(failure.status, {"message": failure.message}, inv.request_id)
    settings = stage.get("AccessLogSettings")
    if settings:
        context = mapping_sources(call)["context"]
        context.update(status=response.status, responseLength=len(response.body or b""), requestTime=call.time,
                       requestTimeEpoch=call.epoch_ms, protocol="HTTP/1.1", error={"message": error},
                       routeKey=(call.route or {}).get("RouteKey", "-"))
        access_log.emit(inv.runtime, settings.get("DestinationArn"), settings.get("Format"), context,
                        stage["StageName"])
    response.headers.append(("apigw-requestid", inv.request_id))
    if cors:
        response.headers.extend(cors_headers(cors, request.headers.get("origin")))
    return response


async def _serve(call: Call, snapshot: dict) -> HttpResponse:
    inv = call.inv
    route, params = route_match.match_route(snapshot, inv.request.method, call.path)
    if route is None:
        raise Failure(404, "Not Found")
    call.route, call.path_params = route, params
    _throttle(call)
    kind = route.get("AuthorizationType") or "NONE"
    if kind == "JWT":
        await auth.check_jwt(call, snapshot["authorizers"].get(route.get("AuthorizerId")))
    elif kind == "CUSTOM":
        await auth.lambda_authorizer(call, snapshot["authorizers"].get(route.get("AuthorizerId")))
    elif kind == "AWS_IAM":
        try:
            call.authorizer = {"iam": iam.caller_identity(inv.runtime, inv.request, call.route_arn(), inv.region)}
        except iam.NotSigned as refused:
            raise Failure(refused.status, refused.message) from None
    target = route.get("Target") or ""
    integration = snapshot["integrations"].get(target[13:]) if target.startswith("integrations/") else None
    if integration is None:
        raise Failure(500, "Internal Server Error")
    if integration["IntegrationType"] == "AWS_PROXY" and integration.get("IntegrationSubtype"):
        return await _service_call(call, integration)
    if integration["IntegrationType"] == "AWS_PROXY":
        return await _lambda_proxy(call, integration)
    if integration["IntegrationType"] == "HTTP_PROXY":
        return await _http_proxy(call, integration)
    raise Failure(500, "Internal Server Error")


def _throttle(call: Call) -> None:
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
        raise Failure(429, "Too Many Requests")


async def _lambda_proxy(call: Call, integration: dict) -> HttpResponse:
    inv = call.inv
    arn = function_arn(stage_substitute(integration.get("IntegrationUri", ""), call.stage.get("StageVariables") or {}))
    if arn is None:
        raise Failure(500, "Internal Server Error")
    v2 = integration.get("PayloadFormatVersion", "2.0") == "2.0"
    event = call.event_v2() if v2 else call.event_v1()
    try:
        payload, error = await invoke_lambda(inv.runtime, arn, json.dumps(event).encode(), inv.account, inv.region,
                                             integration.get("TimeoutInMillis"), call.route_arn())
    except IntegrationTimeout:
        raise Failure(503, "Service Unavailable") from None
    except IntegrationFailure:
        raise Failure(500, "Internal Server Error") from None
    if error:
        raise Failure(500, "Internal Server Error")
    parsed = parse_v2_response(payload) if v2 else parse_proxy_response(payload)
    if parsed is None:
        raise Failure(500, "Internal Server Error")
    status, headers, body = parsed
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", "application/json"))
    if integration.get("ResponseParameters"):
        status = mapping.apply_response(integration["ResponseParameters"], status, headers, body,
                                        mapping_sources(call))
    return HttpResponse(status, headers, body)


async def _service_call(call: Call, integration: dict) -> HttpResponse:
    """An AWS service integration (`SQS-SendMessage`...): the operation's parameters come from
    the integration's RequestParameters, its output is the JSON answer."""
    sources = mapping_sources(call)
    params = {name: mapping.evaluate(str(template), sources)
              for name, template in (integration.get("RequestParameters") or {}).items()}
    region = params.pop("Region", None) or call.inv.region
    try:
        status, body = await aws_service.call_subtype(call.inv.runtime, integration["IntegrationSubtype"], params,
                                                      call.inv.account, region)
    except aws_service.NotAService:
        raise Failure(500, "Internal Server Error") from None
    return HttpResponse(status, [("Content-Type", "application/json")], body)


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


async def _http_proxy(call: Call, integration: dict) -> HttpResponse:
    request = call.inv.request

    def fill(match):
        name = match.group(1).rstrip("+")
        return quote(call.path_params.get(name, ""), safe="/")

    uri = stage_substitute(integration["IntegrationUri"], call.stage.get("StageVariables") or {})
    url = re.sub(r"\{([A-Za-z0-9._-]+\+?)\}", fill, uri)
    headers = dict(request.headers)
    headers["x-forwarded-for"] = client_ip(request)
    query = parse_qsl(request.query_string, keep_blank_values=True)
    sources = mapping_sources(call)
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
        raise Failure(504, "Service Unavailable") from None
    kept = [(k, v) for k, v in out_headers if k.lower() not in HOP_BY_HOP]
    status = mapping.apply_response(integration.get("ResponseParameters"), status, kept, body, sources)
    return HttpResponse(status, kept, body)
