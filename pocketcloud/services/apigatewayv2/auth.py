"""HTTP API authorization: JWT authorizers (jwt_check.py), Lambda REQUEST authorizers (simple
responses or IAM policies, cached for their TTL on the virtual clock)."""

from __future__ import annotations

import json

from ..apigateway.common.outbound import IntegrationFailure, function_arn, invoke_lambda
from ..apigateway.common.replies import split_query
from ..apigateway.rest_auth import Denied, evaluate_policy
from . import jwt_check
from .call import Call, Failure

_authorizer_cache: dict[tuple, tuple[float, dict | None]] = {}


def forget_all() -> None:
    _authorizer_cache.clear()


def _identity(call: Call, sources: list[str]) -> list[str | None]:
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


async def check_jwt(call: Call, authorizer: dict | None) -> None:
    if authorizer is None:
        raise Failure(500, "Internal Server Error")
    token = (_identity(call, authorizer.get("IdentitySource") or ["$request.header.Authorization"]) or [None])[0]
    if not token:
        raise Failure(401, "Unauthorized")
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    config = authorizer.get("JwtConfiguration") or {}
    try:
        claims = await jwt_check.verify(token, config.get("Issuer", ""), config.get("Audience") or [],
                                        call.route.get("AuthorizationScopes") or [], call.inv.runtime.clock.time())
    except jwt_check.Rejected as rejected:
        raise Failure(rejected.status, rejected.message) from None
    scopes = claims.get("scope") or claims.get("scp")
    call.authorizer = {"jwt": {
        "claims": {k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, (list, dict)) else str(v)
                   for k, v in claims.items()},
        "scopes": (scopes.split() if isinstance(scopes, str) else scopes) or None}}


async def lambda_authorizer(call: Call, authorizer: dict | None) -> None:
    """A REQUEST Lambda authorizer: simple responses ({"isAuthorized"}) or an IAM policy."""
    if authorizer is None:
        raise Failure(500, "Internal Server Error")
    inv = call.inv
    sources = authorizer.get("IdentitySource") or []
    identity = _identity(call, sources)
    if sources and any(not v for v in identity):
        raise Failure(401, "Unauthorized")
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
            payload, error = await invoke_lambda(
                inv.runtime, arn or "", json.dumps(event).encode(), inv.account, inv.region,
                source_arn=f"arn:aws:execute-api:{inv.region}:{inv.account}:{inv.api_id}/authorizers/"
                           f"{authorizer['AuthorizerId']}")
            output = None if error else json.loads(payload or b"null")
        except (IntegrationFailure, ValueError):
            output = None
        if ttl and sources:
            _authorizer_cache[key] = (now + ttl, output)
    if not isinstance(output, dict):
        raise Failure(500, "Internal Server Error")
    if authorizer.get("EnableSimpleResponses"):
        if output.get("isAuthorized") is not True:
            raise Failure(403, "Forbidden")
        call.authorizer = {"lambda": output.get("context") or {}}
        return
    try:
        evaluate_policy(output.get("policyDocument") or {}, call.route_arn())
    except Denied:
        raise Failure(403, "Forbidden") from None
    call.authorizer = {"lambda": output.get("context") or {}, "principalId": output.get("principalId")}
