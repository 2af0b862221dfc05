"""The request context: the condition keys a request supplies (global aws:* keys and the
service keys the action mapping adds), lower-cased, each a str or a list of str."""

from __future__ import annotations

from datetime import datetime, timezone

from .evaluate import Principal

_PRINCIPAL_TYPES = {"root": "Account", "user": "User", "assumed-role": "AssumedRole",
                    "federated-user": "FederatedUser", "anonymous": "Anonymous"}


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_context(principal: Principal, now: datetime, region: str | None = None, *,
                 source_ip: str | None = None, secure: bool = False, user_agent: str | None = None,
                 session: dict | None = None) -> dict:
    ctx: dict = {
        "aws:currenttime": iso(now),
        "aws:epochtime": str(int(now.timestamp())),
        "aws:securetransport": "true" if secure else "false",
        "aws:viaawsservice": "false",
        "aws:principalisawsservice": "false",
    }
    if region:
        ctx["aws:requestedregion"] = region
    if source_ip:
        ctx["aws:sourceip"] = source_ip
    if user_agent:
        ctx["aws:useragent"] = user_agent
    if principal.kind in _PRINCIPAL_TYPES:
        ctx["aws:principaltype"] = _PRINCIPAL_TYPES[principal.kind]
    if principal.kind != "anonymous" and principal.arn:
        ctx["aws:principalarn"] = principal.role_arn or principal.arn
        ctx["aws:principalaccount"] = principal.account
        ctx["aws:userid"] = principal.user_id or principal.account
    if principal.kind == "user":
        ctx["aws:username"] = principal.name
    for key, value in principal.tags.items():
        ctx[f"aws:principaltag/{key.lower()}"] = value
    if session is not None:
        # Temporary credentials: MFA presence and token age are known for them only.
        ctx["aws:multifactorauthpresent"] = "true" if session.get("mfa") else "false"
        ctx["aws:tokenissuetime"] = iso(session["issued"])
        if session.get("mfa"):
            ctx["aws:multifactorauthage"] = str(int(now.timestamp() - session["issued"].timestamp()))
        if session.get("source_identity"):
            ctx["aws:sourceidentity"] = session["source_identity"]
    return ctx


def add_entries(ctx: dict, entries: list[dict]) -> dict:
    """SimulatePolicy's ContextEntries: [{ContextKeyName, ContextKeyValues, ContextKeyType}]."""
    for entry in entries or []:
        values = [str(v) for v in entry.get("ContextKeyValues", [])]
        kind = entry.get("ContextKeyType", "string")
        ctx[entry["ContextKeyName"].lower()] = values if kind.endswith("List") else (values[0] if values else None)
    return ctx
