"""Who may call a REST API method: Lambda authorizers (TOKEN / REQUEST) with their policy
documents evaluated and cached, and API keys with usage-plan throttles and quotas."""

from __future__ import annotations

import json
import re

from .common import throttle
from .common.outbound import IntegrationFailure, function_arn, invoke_lambda
from .keys import find_key_by_value, period_start, plans_for


class Denied(Exception):
    """The request stops here: (gateway response type, status, message, body key)."""

    def __init__(self, kind: str, status: int, message: str | None, key: str = "message"):
        super().__init__(message)
        self.kind, self.status, self.message, self.key = kind, status, message, key


# (api, stage, authorizer id, identity values) -> (expires at, authorizer output)
_cache: dict[tuple, tuple[float, dict]] = {}


def forget_all() -> None:
    _cache.clear()


def forget_stage(api_id: str, stage: str) -> None:
    for key in [k for k in _cache if k[0] == api_id and k[1] == stage]:
        _cache.pop(key, None)


def _identity_values(authorizer: dict, request, query: dict, stage_vars: dict, context: dict) -> list[str | None]:
    values = []
    for source in (authorizer.get("identitySource") or "").split(","):
        source = source.strip()
        if not source:
            continue
        if source.startswith("method.request.header."):
            values.append(request.headers.get(source[len("method.request.header."):].lower()))
        elif source.startswith("method.request.querystring."):
            values.append(query.get(source[len("method.request.querystring."):]))
        elif source.startswith("stageVariables."):
            values.append(stage_vars.get(source[len("stageVariables."):]))
        elif source.startswith("context."):
            values.append(context.get(source[len("context."):]))
        else:
            values.append(None)
    return values


def _glob(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text) is not None


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def evaluate_policy(policy: dict, method_arn: str) -> None:
    """Raise Denied unless the policy allows execute-api:Invoke on method_arn (an explicit Deny wins)."""
    allowed = False
    for statement in _listed(policy.get("Statement") or []):
        if not isinstance(statement, dict):
            continue
        actions = _listed(statement.get("Action") or [])
        if not any(_glob(str(a).lower(), "execute-api:invoke") for a in actions):
            continue
        if not any(_glob(str(r), method_arn) for r in _listed(statement.get("Resource") or [])):
            continue
        if statement.get("Effect") == "Deny":
            raise Denied("ACCESS_DENIED", 403, "User is not authorized to access this resource with an explicit deny",
                         "Message")
        if statement.get("Effect") == "Allow":
            allowed = True
    if not allowed:
        raise Denied("ACCESS_DENIED", 403, "User is not authorized to access this resource", "Message")


async def authorize(runtime, inv, authorizer: dict, stage: dict, method_arn: str, query: dict,
                    request_event) -> tuple[dict, str | None]:
    """Run a TOKEN or REQUEST authorizer: (the requestContext.authorizer member, the
    usageIdentifierKey it returned, the API key when the API's apiKeySource is AUTHORIZER)."""
    request = inv.request
    identity = _identity_values(authorizer, request, query, stage.get("variables") or {}, {})
    ttl = authorizer.get("authorizerResultTtlInSeconds", 300) or 0
    if authorizer["type"] == "TOKEN":
        token = identity[0] if identity else None
        if not token:
            raise Denied("UNAUTHORIZED", 401, "Unauthorized")
        pattern = authorizer.get("identityValidationExpression")
        if pattern and re.fullmatch(pattern, token) is None:
            raise Denied("UNAUTHORIZED", 401, "Unauthorized")
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
    elif authorizer["type"] == "REQUEST":
        if ttl and (not identity or any(not v for v in identity)):
            raise Denied("UNAUTHORIZED", 401, "Unauthorized")
        event = {"type": "REQUEST", "methodArn": method_arn, **request_event()}
    else:  # COGNITO_USER_POOLS: no user pools here; refuse as a missing token would be
        raise Denied("UNAUTHORIZED", 401, "Unauthorized")

    now = runtime.clock.time()
    key = (inv.api_id, stage["stageName"], authorizer["id"], tuple(identity))
    cached = _cache.get(key) if ttl else None
    if cached is not None and cached[0] > now:
        output = cached[1]
    else:
        output = await _invoke_authorizer(runtime, inv, authorizer, event)
        if ttl:
            if len(_cache) > 10000:
                _cache.clear()
            _cache[key] = (now + ttl, output)
    evaluate_policy(output["policyDocument"], method_arn)
    context = {k: v if isinstance(v, (str, int, float, bool)) else json.dumps(v)
               for k, v in (output.get("context") or {}).items()}
    member = {**context, "principalId": output.get("principalId"), "integrationLatency": 0}
    return member, output.get("usageIdentifierKey")


async def _invoke_authorizer(runtime, inv, authorizer: dict, event: dict) -> dict:
    arn = function_arn(authorizer.get("authorizerUri", ""))
    if arn is None:
        raise Denied("AUTHORIZER_CONFIGURATION_ERROR", 500, None)
    try:
        payload, error = await invoke_lambda(
            runtime, arn, json.dumps(event).encode(), inv.account, inv.region,
            source_arn=f"arn:aws:execute-api:{inv.region}:{inv.account}:{inv.api_id}/authorizers/{authorizer['id']}")
    except IntegrationFailure:
        raise Denied("AUTHORIZER_CONFIGURATION_ERROR", 500, None) from None
    try:
        output = json.loads(payload or b"null")
    except ValueError:
        output = None
    if error:
        message = output.get("errorMessage") if isinstance(output, dict) else None
        if message == "Unauthorized":
            raise Denied("UNAUTHORIZED", 401, "Unauthorized")
        raise Denied("AUTHORIZER_FAILURE", 500, None)
    if not isinstance(output, dict) or not isinstance(output.get("policyDocument"), dict) or \
            "principalId" not in output:
        raise Denied("AUTHORIZER_CONFIGURATION_ERROR", 500, None)
    return output


# -- API keys and usage plans ------------------------------------------------------------------

def check_api_key(runtime, ns, inv, stage_name: str, key_value: str | None, method_key: str | None = None) -> dict:
    """The API key record after its usage plan let this request through, or Denied."""
    if not key_value:
        raise Denied("INVALID_API_KEY", 403, "Forbidden")
    key = find_key_by_value(ns, key_value)
    if key is None or not key.get("enabled"):
        raise Denied("INVALID_API_KEY", 403, "Forbidden")
    plans = plans_for(ns, inv.api_id, stage_name, key["id"])
    if not plans:
        raise Denied("INVALID_API_KEY", 403, "Forbidden")
    plan = plans[0]
    limits = plan.get("throttle")
    bucket = (inv.account, plan["id"], key["id"])
    # A per-method throttle in the plan's API stage ("/path/METHOD") overrides the plan's own.
    for api_stage in plan.get("apiStages") or ():
        if api_stage.get("apiId") == inv.api_id and api_stage.get("stage") == stage_name:
            method_limits = (api_stage.get("throttle") or {}).get(method_key or "")
            if method_limits:
                limits, bucket = method_limits, (*bucket, method_key)
    if limits and (limits.get("rateLimit") or limits.get("burstLimit")):
        if not throttle.allow(bucket, float(limits.get("rateLimit") or 0),
                              int(limits.get("burstLimit") or 0), runtime.clock.time()):
            raise Denied("THROTTLED", 429, "Too Many Requests")
    # Usage is counted per plan and key: for the quota's period and per day (GetUsage).
    quota = plan.get("quota") or {}
    now = runtime.clock.now()
    start = period_start(now, quota.get("period", "DAY"), quota.get("offset", 0))
    name = f"{plan['id']}/{key['id']}"
    with runtime.store.transaction():
        usage = ns.get("usage", name) or {"days": {}}
        if usage.get("period") != start:
            usage["period"], usage["used"] = start, 0
        if quota.get("limit") is not None and usage["used"] >= quota["limit"]:
            raise Denied("QUOTA_EXCEEDED", 429, "Limit Exceeded")
        usage["used"] += 1
        day = now.strftime("%Y-%m-%d")
        days = usage.setdefault("days", {})
        days[day] = days.get(day, 0) + 1
        if len(days) > 100:  # GetUsage looks back 90 days at most
            for old in sorted(days)[:-100]:
                del days[old]
        ns.put("usage", name, usage)
    return key
