"""Cross-account access to a topic, decided by its policy (the owner's account always may).

A simplified evaluation of the statements AWS's own examples use: an explicit Deny wins; an
Allow applies when its principal names the caller ("*", the account id, or an IAM ARN in that
account) and its action matches (SNS:Publish, sns:*, *...). Conditions are honoured for
AWS:SourceOwner / AWS:SourceAccount (the default policy's) and otherwise treated as unmet.
"""

from __future__ import annotations

import fnmatch
import json

from pocketcloud.protocol.errors import ServiceError

from .common import parse_arn


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal, account: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(_principal_matches(p, account) for p in _listed(principal.get("AWS", [])))
    if not isinstance(principal, str):
        return False
    if principal in ("*", account):
        return True
    parts = parse_arn(principal)
    return bool(parts) and parts[0] in ("iam", "sts") and parts[2] == account


def _action_matches(actions, action: str) -> bool:
    return any(isinstance(a, str) and fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(actions))


def _conditions_hold(conditions, account: str) -> bool:
    if not conditions:
        return True
    for operator, tests in conditions.items():
        if operator not in ("StringEquals", "StringLike", "ArnLike", "ArnEquals") or not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            if key.lower() not in ("aws:sourceowner", "aws:sourceaccount", "aws:principalaccount"):
                return False
            if not any(fnmatch.fnmatchcase(account, str(e)) for e in _listed(expected)):
                return False
    return True


def caller(ctx) -> str | None:
    """The account a request acts for; None for another service calling in-process (S3 events,
    alarms...), which is trusted as AWS trusts its own service principals."""
    return None if ctx.protocol == "internal" else ctx.account


def check(topic: dict, account: str | None, action: str) -> None:
    """AuthorizationError unless `account` may perform `action` ("SNS:Publish") on the topic."""
    if account is None or account == parse_arn(topic["Arn"])[2]:
        return
    try:
        statements = _listed(json.loads(topic["Attributes"].get("Policy") or "{}").get("Statement", []))
    except (ValueError, AttributeError):
        statements = []
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        if not (_principal_matches(statement.get("Principal"), account)
                and _action_matches(statement.get("Action", []), action)
                and _conditions_hold(statement.get("Condition"), account)):
            continue
        if statement.get("Effect") == "Deny":
            allowed = False
            break
        allowed = allowed or statement.get("Effect") == "Allow"
    if not allowed:
        raise ServiceError("AuthorizationError", f"User: arn:aws:iam::{account}:root is not authorized to perform: "
                           f"{action} on resource: {topic['Arn']}", 403)
