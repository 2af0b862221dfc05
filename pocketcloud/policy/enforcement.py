"""Enforcement: the gateway asks here, for each request, before the operation runs.

Temporary credentials (ASIA keys) must present their session token and be unexpired, always.
With --enforce-iam, every (action, resource) the operation maps to (actions.py) must be
allowed for the caller by AWS's evaluation logic (evaluate.py), with the resource's own policy
(resources.py) taking part.
"""

from __future__ import annotations

from ..core.accounts import resolve_access_key
from ..gateway import sigv4
from ..protocol.errors import ServiceError
from ..services.iam.principals import Identity, identity_of, session_of
from .actions import RESOURCE_POLICY_PREFIXES, checks
from .context import base_context
from .denial import access_denied, message
from .document import PolicyError, parse
from .evaluate import Principal, Source, evaluate
from .resources import resource_policy


def check_session(runtime, ctx, creds) -> dict | None:
    if creds is None:
        return None
    session = session_of(runtime, creds.access_key)
    if session is None:
        return None
    if creds.security_token != session["token"]:
        if ctx.service == "s3":
            raise ServiceError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)
        raise sigv4.unknown_access_key(creds, ctx.service)  # each family's "invalid security token"
    if runtime.clock.time() >= session["expires"].timestamp():
        if ctx.service == "s3":
            raise ServiceError("ExpiredToken", "The provided token has expired.", 400)
        code = "ExpiredTokenException" if ctx.protocol in ("json", "rest-json") else "ExpiredToken"
        raise ServiceError(code, "The security token included in the request is expired", 403)
    return session


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4].isdigit() else None


async def authorize(runtime, ctx, params: dict, creds) -> None:
    check_session(runtime, ctx, creds)
    if not runtime.settings.enforce_iam:
        return
    if creds is not None and ctx.protocol != "internal":
        # Without --enforce-signatures an unknown (deleted, inactive) key would act as the default
        # account's root user: with policies enforced it is refused instead.
        if resolve_access_key(creds.access_key)[1] is None:
            raise sigv4.unknown_access_key(creds, ctx.service)
    needed = checks(ctx.service, ctx.operation, params, ctx.account, ctx.region, ctx.request, runtime,
                    ctx.principal_arn)
    if not needed:
        return
    who = _caller(runtime, ctx, creds)
    request = ctx.request
    context = base_context(who.principal, ctx.now, ctx.region, source_ip=getattr(request, "client", None),
                           secure=request.headers.get("x-forwarded-proto") == "https",
                           user_agent=request.headers.get("user-agent"), session=who.session)
    for check in needed:
        owner, source, tags = await _resource_side(runtime, ctx, check)
        request_context = {**context, **tags, **check.context, "aws:resourceaccount": owner}
        decision = evaluate(who.principal, check.action, check.resource, request_context, identity=who.identity,
                            resource_policy=source, resource_account=owner, boundary=who.boundary,
                            session=who.session_policies)
        if not decision.allowed:
            raise _refusal(ctx, who.principal, check, decision, request_context)


def _caller(runtime, ctx, creds):
    if creds is None:
        return Identity(Principal("anonymous", None, None), [])
    return identity_of(runtime, ctx.account, ctx.principal_arn, ctx.access_key)


async def _resource_side(runtime, ctx, check) -> tuple[str, Source | None, dict]:
    """The resource's account, its policy (a role's trust policy for sts:AssumeRole) and its
    tags as aws:ResourceTag/<key> condition keys."""
    prefix = check.action.split(":", 1)[0]
    owner, source, tags = _account_of(check.resource), None, {}
    if prefix in RESOURCE_POLICY_PREFIXES and check.resource != "*":
        found = await resource_policy(runtime, prefix, check.resource, ctx.account, ctx.region)
        if found is not None:
            owner = found.owner or owner
            if found.arn:
                check.resource = found.arn
            tags = {f"aws:resourcetag/{k.lower()}": v for k, v in found.tags.items()}
            if found.text:
                try:
                    source = Source(parse(found.text, "trust" if prefix == "sts" else "resource"), "resource",
                                    "resource")
                except PolicyError:  # a stored policy we cannot read grants nothing
                    source = None
    return owner or ctx.account, source, tags


def _refusal(ctx, principal, check, decision, request_context) -> ServiceError:
    arn = principal.arn or "anonymous"
    reason = decision.reason if decision.decision == "explicitDeny" else "because " + decision.reason
    details = {"allowed": False, "explicitDeny": decision.decision == "explicitDeny",
               "matchedStatements": {"items": [{"statementId": st.sid or "", "effect": st.effect}
                                               for _, st in decision.matched]},
               "failures": {"items": []},
               "context": {"principal": {"id": principal.user_id, "arn": arn},
                           "action": check.action, "resource": check.resource,
                           "conditions": {"items": [{"key": k, "values": {"items": [{"value": str(v)}]}}
                                                    for k, v in sorted(request_context.items())]}}}
    return access_denied(ctx.service, ctx.protocol, message(arn, check.action, check.resource, reason), details)
