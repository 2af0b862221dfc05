"""Web identity tokens (OIDC JWTs): checked for shape, issuer, subject, audience and expiry.
Signatures are not verified (pocketcloud has no identity provider's keys)."""

from __future__ import annotations

import base64
import json

from ...protocol.errors import ServiceError


def _segment(text: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def claims(token: str, now_epoch: float) -> dict:
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError
        header, payload = _segment(parts[0]), _segment(parts[1])
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise ValueError
    except (ValueError, TypeError):
        raise ServiceError("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider, "
                           "please reference AssumeRoleWithWebIdentity documentation for requirements", 400) from None
    for claim in ("iss", "sub", "aud"):
        if claim not in payload:
            raise ServiceError("InvalidIdentityToken", f"The ID Token provided is missing the '{claim}' claim", 400)
    if "exp" in payload and float(payload["exp"]) <= now_epoch:
        raise ServiceError("ExpiredTokenException", "Token expired: current date/time is past the token's exp", 400)
    return payload


def provider_name(issuer: str) -> str:
    """accounts.google.com, graph.facebook.com, www.amazon.com and cognito-identity.amazonaws.com
    name themselves; any other issuer is an IAM OIDC provider named by its host and path."""
    return issuer.removeprefix("https://")
