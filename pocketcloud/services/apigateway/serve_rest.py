"""Serving a REST API (v1) stage at its invoke URL: resource matching, throttling, authorizers,
API keys, request validation, then the integration (rest_integrations.py); errors as API
Gateway's gateway responses."""

from __future__ import annotations

import json
import random
from urllib.parse import unquote

from ...core.store import Namespace
from ...protocol.http import HttpResponse
from . import models, response_cache, rest_auth, rest_routes, vtl
from .common import access_log, iam, throttle
from .deployments import snapshots
from .rest_auth import Denied
from .rest_call import Call, static_or_lookup
from .rest_integrations import integrate


# -- entry -------------------------------------------------------------------------------------

async def serve(inv) -> HttpResponse:
    ns = Namespace(inv.runtime.store, "apigateway", inv.account, inv.region)
    if inv.stage is not None:  # a custom domain's base path mapping named the stage
        stage_name, rest = inv.stage, inv.path.lstrip("/")
    else:
        stage_name, _, rest = inv.path.lstrip("/").partition("/")
        stage_name = unquote(stage_name)
    stage = ns.get("stage", f"{inv.api_id}/{stage_name}") if stage_name else None
    canary = stage.get("canarySettings") if stage else None
    if canary and canary.get("deploymentId") and random.random() * 100 < float(canary.get("percentTraffic") or 0):
        # This request goes to the canary: its deployment, the stage variables it overrides.
        stage = {**stage, "deploymentId": canary["deploymentId"],
                 "variables": {**(stage.get("variables") or {}), **(canary.get("stageVariableOverrides") or {})}}
    snapshot = snapshots.load(ns, inv.account, inv.api_id, stage["deploymentId"]) if stage else None
    if snapshot is None:
        return gateway_error(inv, None, "MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
    call = Call(inv, stage, snapshot, "/" + rest)
    error = None
    try:
        response = await _serve(call, ns)
    except Denied as denied:
        error = denied.message
        response = gateway_error(inv, call, denied.kind, denied.status, denied.message, denied.key)
    settings = stage.get("accessLogSettings")
    if settings:
        context = call.request_context()
        context.update(status=response.status, responseLength=len(response.body or b""),
                       requestTime=call.request_time, error={"message": error}, routeKey=None)
        access_log.emit(inv.runtime, settings.get("destinationArn"), settings.get("format"), context,
                        stage["stageName"])
    return response


async def _serve(call: Call, ns) -> HttpResponse:
    inv = call.inv
    request = inv.request
    call.resource, call.path_params = rest_routes.match(call.snapshot, call.path)
    methods = (call.resource or {}).get("resourceMethods") or {}
    call.method = methods.get(request.method) or methods.get("ANY")
    if call.method is None:
        raise Denied("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
    method = call.method
    _stage_throttle(call)
    auth = method.get("authorizationType")
    usage_key = None
    if auth == "CUSTOM":
        authorizer = call.snapshot["authorizers"].get(method.get("authorizerId"))
        if authorizer is None:
            raise Denied("AUTHORIZER_CONFIGURATION_ERROR", 500, None)
        call.authorizer, usage_key = await rest_auth.authorize(
            inv.runtime, inv, authorizer, call.stage, call.method_arn(), call.query,
            lambda: _request_authorizer_event(call))
    elif auth == "AWS_IAM":
        try:
            call.iam = iam.caller_identity(inv.runtime, request, call.method_arn(), inv.region)
        except iam.NotSigned as refused:
            if refused.message == "Missing Authentication Token":
                raise Denied("MISSING_AUTHENTICATION_TOKEN", 403, refused.message) from None
            if "is not authorized to perform" in refused.message:
                raise Denied("ACCESS_DENIED", 403, refused.message, "Message") from None
            raise Denied("INVALID_SIGNATURE", refused.status, refused.message) from None
    policy = call.snapshot["api"].get("policy")
    if policy:
        try:
            iam.check_resource_policy(inv.runtime, request, policy, call.method_arn(), inv.region, call.iam)
        except iam.NotSigned as refused:
            raise Denied("ACCESS_DENIED", 403, refused.message, "Message") from None
    if method.get("apiKeyRequired"):
        from_authorizer = call.snapshot["api"].get("apiKeySource") == "AUTHORIZER"
        call.api_key = rest_auth.check_api_key(inv.runtime, ns, inv, call.stage["stageName"],
                                               usage_key if from_authorizer else request.headers.get("x-api-key"),
                                               f"{(call.resource or {}).get('path')}/{call.method['httpMethod']}")
    validator = (call.snapshot.get("requestValidators") or {}).get(method.get("requestValidatorId") or "")
    if validator:
        _validate(call, validator)
    cached = response_cache.lookup(call)
    if cached is not None:
        status, headers, body = cached
        return HttpResponse(status, [*headers], body)
    response = await integrate(call)
    response_cache.store(call, response.status, response.headers, response.body)
    return response


def _stage_throttle(call: Call) -> None:
    """The stage's method settings throttle (the method's own entry, else "*/*")."""
    settings = call.stage.get("methodSettings")
    if not settings:
        return
    key = f"{(call.resource or {}).get('path', '/').lstrip('/')}/{call.method['httpMethod']}"
    found = settings.get(key) or settings.get("*/*")
    if found is None:
        return
    if found is settings.get("*/*"):
        key = "*/*"
    rate, burst = found.get("throttlingRateLimit"), found.get("throttlingBurstLimit")
    if rate is None and burst is None:
        return
    if not throttle.allow((call.inv.account, call.inv.api_id, call.stage["stageName"], key), float(rate or 0),
                          int(burst or 0), call.inv.runtime.clock.time()):
        raise Denied("THROTTLED", 429, "Too Many Requests")


def _request_authorizer_event(call: Call) -> dict:
    event = call.proxy_event()
    event.pop("body", None)
    event.pop("isBase64Encoded", None)
    return event


def _validate(call: Call, validator: dict) -> None:
    """What the method's request validator checks: required parameters, the body's model."""
    request = call.inv.request
    if validator.get("validateRequestParameters"):
        missing = models.missing_parameters(call.method, request.headers, call.query, call.path_params)
        if missing:
            raise Denied("BAD_REQUEST_PARAMETERS", 400, f"Missing required request parameters: [{', '.join(missing)}]")
    if validator.get("validateRequestBody"):
        content_type = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
        if models.body_errors(call.snapshot, call.method, content_type, request.body):
            raise Denied("BAD_REQUEST_BODY", 400, "Invalid request body")


# -- gateway responses -------------------------------------------------------------------------

def gateway_error(inv, call: Call | None, kind: str, status: int, message: str | None,
                   key: str = "message") -> HttpResponse:
    """An error answered by API Gateway itself, shaped by the API's gateway responses."""
    snapshot = call.snapshot if call else None
    custom = None
    if snapshot is not None:
        responses = snapshot.get("gatewayResponses") or {}
        custom = responses.get(kind) or responses.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", inv.request_id),
               ("x-amzn-ErrorType", _error_type(kind, status))]
    body = json.dumps({key: message}, separators=(",", ":")).encode()  # AWS writes it compact
    if custom:
        status = int(custom.get("statusCode") or status)
        context = call.request_context() if call else {}
        context["error"] = {"message": message, "messageString": json.dumps(message), "responseType": kind}
        variables = {"context": context, "stageVariables": dict(call.variables) if call else {},
                     "input": vtl.Input("", {})}
        for name, value in (custom.get("responseParameters") or {}).items():
            if name.startswith("gatewayresponse.header."):
                headers.append((name[len("gatewayresponse.header."):], static_or_lookup(value, call)))
        template = (custom.get("responseTemplates") or {}).get("application/json")
        if template:
            try:
                body = vtl.render(template, variables).encode()
            except vtl.TemplateError:
                pass
    return HttpResponse(status, headers, body)


def _error_type(kind: str, status: int) -> str:
    return {"MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
            "INVALID_SIGNATURE": "InvalidSignatureException",
            "UNAUTHORIZED": "UnauthorizedException", "ACCESS_DENIED": "AccessDeniedException",
            "INVALID_API_KEY": "ForbiddenException", "THROTTLED": "TooManyRequestsException",
            "QUOTA_EXCEEDED": "LimitExceededException", "BAD_REQUEST_PARAMETERS": "BadRequestException",
            "UNSUPPORTED_MEDIA_TYPE": "UnsupportedMediaTypeException",
            "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
            "AUTHORIZER_FAILURE": "AuthorizerConfigurationException"}.get(
        kind, "InternalServerErrorException" if status >= 500 else "BadRequestException")
