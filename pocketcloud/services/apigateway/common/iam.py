"""AWS_IAM authorization of invoke-URL requests: the request must carry a valid SigV4 signature
(service `execute-api`), checked with the gateway's own SigV4 code against the signer's secret;
with --enforce-iam the signer's IAM policies must also allow `execute-api:Invoke` on the method
(or route) ARN, judged by the same evaluation engine as every API call."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from ....core.accounts import resolve_access_key
from ....gateway import sigv4
from ....protocol.errors import ServiceError


class NotSigned(Exception):
    """(status, message) API Gateway answers for an unsigned or badly signed request."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def caller_identity(runtime, request, resource_arn: str | None = None, region: str | None = None) -> dict:
    """The requestContext.identity members of a correctly signed (and, with --enforce-iam,
    allowed) request, or NotSigned."""
    try:
        creds = sigv4.parse_credentials(request.method, request.path, request.query_string, request.headers,
                                        "execute-api")
    except ServiceError as exc:
        raise NotSigned(403, exc.message) from None
    if creds is None:
        raise NotSigned(403, "Missing Authentication Token")
    account, secret, principal = resolve_access_key(creds.access_key)
    if secret is None:
        raise NotSigned(403, "The security token included in the request is invalid.")
    payload_hash = None
    if sigv4.payload_hash_needed(creds, request.headers):
        payload_hash = hashlib.sha256(request.body or b"").hexdigest()
    try:
        # The client signs with its real clock: the skew check compares with real time, not the
        # virtual clock (which `pocketcloud time advance` may have moved days ahead).
        sigv4.verify(creds, secret, request.method, request.path, request.query_string, request.headers,
                     payload_hash, datetime.now(timezone.utc))
    except ServiceError as exc:
        raise NotSigned(403, exc.message) from None
    user_arn = principal or f"arn:aws:iam::{account}:root"
    if runtime.settings.enforce_iam and resource_arn:
        _check_policies(runtime, request, account, principal, creds.access_key, resource_arn, region)
    return {"accessKey": creds.access_key, "accountId": account, "caller": account if principal is None else
            principal.rsplit("/", 1)[-1], "user": account if principal is None else principal.rsplit("/", 1)[-1],
            "userArn": user_arn}


def _check_policies(runtime, request, account, principal_arn, access_key, resource_arn, region) -> None:
    from ....policy.context import base_context
    from ....policy.evaluate import evaluate
    from ...iam.principals import identity_of

    who = identity_of(runtime, account, principal_arn, access_key)
    context = base_context(who.principal, runtime.clock.now(), region,
                           user_agent=request.headers.get("user-agent"), session=who.session)
    decision = evaluate(who.principal, "execute-api:Invoke", resource_arn, context, identity=who.identity,
                        resource_account=resource_arn.split(":")[4], boundary=who.boundary,
                        session=who.session_policies)
    if not decision.allowed:
        arn = who.principal.arn or principal_arn or f"arn:aws:iam::{account}:root"
        raise NotSigned(403, f"User: {arn} is not authorized to perform: execute-api:Invoke on resource: "
                             f"{resource_arn}" + (" with an explicit deny" if decision.decision == "explicitDeny"
                                                  else ""))


_parsed: dict[str, object] = {}


def check_resource_policy(runtime, request, policy_text: str, method_arn: str, region: str,
                          signer: dict | None) -> None:
    """A REST API's resource policy, as API Gateway applies it to every request: an explicit
    Deny refuses; otherwise the caller (anonymous, or the AWS_IAM signer, whose own policies
    count) must be allowed. `execute-api:/...` resources stand for this API's ARN prefix."""
    from ....policy.context import base_context
    from ....policy.document import PolicyError, parse
    from ....policy.evaluate import Principal, Source, evaluate
    from .replies import client_ip

    api_prefix = method_arn.split("/", 1)[0] + "/"
    text = policy_text.replace('"execute-api:/', f'"{api_prefix}')
    source = _parsed.get(text)
    if source is None:
        try:
            source = Source(parse(text, "resource"), "resource", "resource")
        except PolicyError:
            raise NotSigned(403, "Forbidden") from None  # a policy API Gateway could not read allows nothing
        if len(_parsed) > 200:
            _parsed.clear()
        _parsed[text] = source
    account = method_arn.split(":")[4]
    identity, boundary, session, who_session = [], None, None, None
    if signer is not None:
        from ...iam.principals import identity_of

        who = identity_of(runtime, signer["accountId"], None if signer["userArn"].endswith(":root")
                          else signer["userArn"], signer["accessKey"])
        principal, identity, boundary = who.principal, who.identity, who.boundary
        session, who_session = who.session_policies, who.session
    else:
        principal = Principal("anonymous", None, None)
    context = base_context(principal, runtime.clock.now(), region, source_ip=client_ip(request),
                           user_agent=request.headers.get("user-agent"), session=who_session)
    decision = evaluate(principal, "execute-api:Invoke", method_arn, context, identity=identity,
                        resource_policy=source, resource_account=account, boundary=boundary, session=session)
    if not decision.allowed:
        arn = principal.arn or "anonymous"
        suffix = " with an explicit deny" if decision.decision == "explicitDeny" else ""
        raise NotSigned(403, f"User: {arn} is not authorized to perform: execute-api:Invoke on resource: "
                             f"{method_arn}{suffix}")
