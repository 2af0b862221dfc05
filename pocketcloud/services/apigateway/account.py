"""Account settings, tags on API Gateway resources, and flushing a stage's authorizer cache."""

from __future__ import annotations

import re

from .common import patch
from .state import bad_request, load_api, not_found

_ARN = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]+::/(restapis/([^/]+)(?:/stages/([^/]+))?|apikeys/([^/]+)|"
                  r"usageplans/([^/]+))$")


def get_account(ctx, params: dict) -> dict:
    settings = ctx.namespace().get("account", "settings") or {}
    return {"throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0}, "features": ["UsagePlans"],
            "apiKeyVersion": "4", **settings}


def update_account(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        settings = ctx.namespace().get("account", "settings") or {}
        patch.apply(settings, params.get("patchOperations"), {"cloudwatchRoleArn"})
        ctx.namespace().put("account", "settings", settings)
    return get_account(ctx, params)


def _tagged(ctx, arn: str):
    """(kind, name, document, the dict holding "tags") for a taggable resource ARN."""
    match = _ARN.match(arn)
    if match is None:
        raise bad_request(f"Invalid resource ARN: {arn}")
    ns = ctx.namespace()
    api_id, stage, key_id, plan_id = match.group(2), match.group(3), match.group(4), match.group(5)
    if stage:
        load_api(ctx, api_id)
        name, kind = f"{api_id}/{stage}", "stage"
    elif api_id:
        name, kind = api_id, "restapi"
    elif key_id:
        name, kind = key_id, "apikey"
    else:
        name, kind = plan_id, "usageplan"
    doc = ns.get(kind, name)
    if doc is None:
        raise not_found(f"Invalid resource identifier specified {arn}")
    return kind, name, doc, doc["api"] if kind == "restapi" else doc


def tag_resource(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        kind, name, doc, holder = _tagged(ctx, params["resourceArn"])
        tags = holder.setdefault("tags", {})
        tags.update(params["tags"])
        if len(tags) > 50:
            raise bad_request("Too many tags: at most 50 per resource")
        ctx.namespace().put(kind, name, doc)
    return {"__status__": 204}


def untag_resource(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        kind, name, doc, holder = _tagged(ctx, params["resourceArn"])
        for key in params["tagKeys"]:
            holder.get("tags", {}).pop(key, None)
        ctx.namespace().put(kind, name, doc)
    return {"__status__": 204}


def get_tags(ctx, params: dict) -> dict:
    return {"tags": _tagged(ctx, params["resourceArn"])[3].get("tags") or {}}


def flush_stage_authorizers_cache(ctx, params: dict) -> dict:
    from . import rest_auth

    load_api(ctx, params["restApiId"])
    if ctx.namespace().get("stage", f"{params['restApiId']}/{params['stageName']}") is None:
        raise not_found("Invalid Stage identifier specified")
    rest_auth.forget_stage(params["restApiId"], params["stageName"])
    return {"__status__": 202}


def flush_stage_cache(ctx, params: dict) -> dict:
    from . import response_cache

    load_api(ctx, params["restApiId"])
    if ctx.namespace().get("stage", f"{params['restApiId']}/{params['stageName']}") is None:
        raise not_found("Invalid Stage identifier specified")
    response_cache.flush(ctx.account, params["restApiId"], params["stageName"])
    return {"__status__": 202}
