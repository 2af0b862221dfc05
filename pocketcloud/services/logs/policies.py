"""Resource policies: who may write to this account's logs (Route 53 query logs, EventBridge...).
Account-scoped ones (at most 10 per region, by name) and log-group-scoped ones (by ARN)."""

from __future__ import annotations

import json
import uuid

from pocketcloud.protocol.errors import ServiceError

from .common import invalid, listed, not_found, now_ms

KIND = "resource-policy"
MAX_ACCOUNT_POLICIES = 10


def _key(params: dict) -> tuple[str, str]:
    if params.get("resourceArn"):
        return "RESOURCE", f"RESOURCE:{params['resourceArn']}"
    if not params.get("policyName"):
        raise invalid("policyName is required.")
    return "ACCOUNT", f"ACCOUNT:{params['policyName']}"


def put_resource_policy(ctx, params: dict) -> dict:
    document = params.get("policyDocument") or ""
    try:
        if not isinstance(json.loads(document), dict):
            raise ValueError
    except ValueError:
        raise invalid("Policy document must be a JSON object.") from None
    scope, key = _key(params)
    ns = ctx.namespace("logs")
    with ns.store.transaction():
        existing = ns.get(KIND, key)
        if scope == "ACCOUNT" and existing is None and len(ns.list(KIND, "ACCOUNT:")) >= MAX_ACCOUNT_POLICIES:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.", 400)
        if scope == "RESOURCE" and existing is not None and params.get("expectedRevisionId") not in (
                None, existing["revisionId"]):
            raise ServiceError("OperationAbortedException", "The resource policy was changed by another request.", 400)
        policy = {"policyName": params.get("policyName") or "", "policyDocument": document,
                  "lastUpdatedTime": now_ms(ctx), "policyScope": scope, "revisionId": uuid.uuid4().hex}
        if scope == "RESOURCE":
            policy["resourceArn"] = params["resourceArn"]
        ns.put(KIND, key, policy)
    return {"resourcePolicy": policy, "revisionId": policy["revisionId"]}


def describe_resource_policies(ctx, params: dict) -> dict:
    scope = params.get("policyScope") or ("RESOURCE" if params.get("resourceArn") else "ACCOUNT")
    found = [p for _, p in ctx.namespace("logs").list(KIND, f"{scope}:")]
    if params.get("resourceArn"):
        found = [p for p in found if p.get("resourceArn") == params["resourceArn"]]
    return listed("resourcePolicies", found, params)


def delete_resource_policy(ctx, params: dict) -> dict:
    _, key = _key(params)
    if not ctx.namespace("logs").delete(KIND, key):
        raise not_found(f"Policy with name [{params.get('policyName') or params.get('resourceArn')}] does not exist")
    return {}
