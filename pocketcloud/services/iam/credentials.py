"""Signing with IAM users' access keys and STS temporary credentials.

`install(runtime)` registers a key resolver with core.accounts (the gateway calls it once, at
start-up): an AKIA key of an IAM user resolves to its account, secret and user ARN while it
is Active; an ASIA key issued by STS to its account, secret and session ARN. Whether a
temporary key's session token matches and has not expired is checked per request by
policy.enforcement.check_session. Kept free of heavy imports: it loads with the gateway.
"""

from __future__ import annotations

from ...core.accounts import register_key_resolver
from ...core.store import Namespace

GLOBAL = "global"


_runtime: list = [None]  # the process's runtime (the latest gateway made; tests make one per process)


def install(runtime) -> None:
    _runtime[0] = runtime
    register_key_resolver(_resolve)  # registered once: the resolver reads the current runtime


def _resolve(access_key: str):
    runtime = _runtime[0]
    if runtime is None:
        return None
    if access_key.startswith("AKIA"):
        entry = Namespace(runtime.store, "iam", "", GLOBAL).get("access-key", access_key)
        if entry is not None and entry["status"] == "Active":
            return entry["account"], entry["secret"], entry["arn"]
    elif access_key.startswith("ASIA"):
        entry = Namespace(runtime.store, "sts", "", GLOBAL).get("session", access_key)
        if entry is not None:
            return entry["account"], entry["secret"], entry["arn"]
    return None
