"""Temporary credentials: issued here, resolved by services/iam/credentials.py, checked (token,
expiry) by policy/enforcement.py. Stored by access key id, across accounts."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

from ..iam.common import new_id, new_secret
from ..iam.principals import sessions


def issue(runtime, ctx, account: str, arn: str, duration: int, **fields) -> dict:
    """Store a session and return the Credentials output member."""
    key_id = new_id("ASIA", 20)
    token = "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(180)).decode()
    issued = ctx.now
    expires = issued + timedelta(seconds=duration)
    sessions(runtime).put("session", key_id, {
        "account": account, "arn": arn, "secret": new_secret(), "token": token, "issued": issued,
        "expires": expires, **fields,
    })
    entry = sessions(runtime).get("session", key_id)
    return {"AccessKeyId": key_id, "SecretAccessKey": entry["secret"], "SessionToken": token, "Expiration": expires}


def packed_size(policy: str | None, policy_arns: list | None, tags: list | None) -> int:
    """AWS reports the packed session policy size as a percentage of its limit."""
    size = len("".join((policy or "").split())) + 60 * len(policy_arns or []) + 40 * len(tags or [])
    return min(100, size * 100 // 2048) if size else 0
