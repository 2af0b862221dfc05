"""Users, groups and roles share most of their life: a name unique in the account (without
regard to case), a path, an id, inline policies, attached managed policies, tags."""

from __future__ import annotations

from collections import Counter

from . import managed
from .common import (already_exists, check_document, check_name, check_path, delete_conflict, encoded,
                     iam_ns, limit_exceeded, new_id, no_such)


class Kind:
    def __init__(self, name, label, id_prefix, name_key, id_key, inline_limit, quota_name):
        self.name, self.label, self.id_prefix = name, label, id_prefix
        self.name_key, self.id_key = name_key, id_key
        self.inline_limit, self.quota_name = inline_limit, quota_name


USER = Kind("user", "user", "AIDA", "UserName", "UserId", 2048, "PoliciesPerUser")
GROUP = Kind("group", "group", "AGPA", "GroupName", "GroupId", 5120, "PoliciesPerGroup")
ROLE = Kind("role", "role", "AROA", "RoleName", "RoleId", 10240, "PoliciesPerRole")
KINDS = {"user": USER, "group": GROUP, "role": ROLE}

MANAGED_PER_ENTITY = 10
# Keys of a stored record that are ours, not AWS's output shape.
_INTERNAL = {"attached", "inline", "groups", "login", "mfa", "keys", "service_linked", "roles", "ssh", "signing",
             "service-credentials"}


def public(record: dict, drop=()) -> dict:
    return {k: v for k, v in record.items() if k not in _INTERNAL and k not in drop and v is not None}


def get(runtime, account: str, kind: Kind, name: str) -> dict:
    record = iam_ns(runtime, account).get(kind.name, (name or "").lower())
    if record is None:
        raise no_such(f"The {kind.label} with name {name} cannot be found.")
    return record


def find(runtime, account: str, kind: Kind, name: str) -> dict | None:
    return iam_ns(runtime, account).get(kind.name, (name or "").lower())


def put(runtime, account: str, kind: Kind, record: dict) -> None:
    iam_ns(runtime, account).put(kind.name, record[kind.name_key].lower(), record)


def all_of(runtime, account: str, kind: Kind) -> list[dict]:
    return [r for _, r in iam_ns(runtime, account).list(kind.name)]


def create(runtime, ctx, kind: Kind, name: str, path: str | None, extra: dict, name_max: int = 64) -> dict:
    check_name(name, kind.name_key[0].lower() + kind.name_key[1:], name_max)
    path = check_path(path)
    with runtime.store.transaction():
        if find(runtime, ctx.account, kind, name) is not None:
            raise already_exists(f"{kind.label.capitalize()} with name {name} already exists.")
        record = {
            "Path": path, kind.name_key: name, kind.id_key: new_id(kind.id_prefix),
            "Arn": f"arn:aws:iam::{ctx.account}:{kind.name}{path}{name}", "CreateDate": ctx.now,
            **extra, "attached": [], "inline": {},
        }
        put(runtime, ctx.account, kind, record)
    return record


def ensure_deletable(record: dict, kind: Kind) -> None:
    if record["inline"]:
        raise delete_conflict("Cannot delete entity, must delete policies first.")
    if record["attached"]:
        raise delete_conflict("Cannot delete entity, must detach all policies first.")


# -- inline policies --------------------------------------------------------------------------------
def put_inline(runtime, ctx, kind: Kind, name: str, policy_name: str, document: str) -> None:
    check_name(policy_name, "policyName", 128)
    check_document(document, "identity")
    with runtime.store.transaction():
        record = get(runtime, ctx.account, kind, name)
        record["inline"][policy_name] = document
        size = sum(len("".join(t.split())) for t in record["inline"].values())
        if size > kind.inline_limit:
            raise limit_exceeded(f"Maximum policy size of {kind.inline_limit} bytes exceeded for "
                                 f"{kind.label} {record[kind.name_key]}")
        put(runtime, ctx.account, kind, record)


def get_inline(runtime, ctx, kind: Kind, name: str, policy_name: str) -> dict:
    record = get(runtime, ctx.account, kind, name)
    if policy_name not in record["inline"]:
        raise no_such(f"The {kind.label} policy with name {policy_name} cannot be found.")
    return {kind.name_key: record[kind.name_key], "PolicyName": policy_name,
            "PolicyDocument": encoded(record["inline"][policy_name])}


def delete_inline(runtime, ctx, kind: Kind, name: str, policy_name: str) -> None:
    with runtime.store.transaction():
        record = get(runtime, ctx.account, kind, name)
        if record["inline"].pop(policy_name, None) is None:
            raise no_such(f"The {kind.label} policy with name {policy_name} cannot be found.")
        put(runtime, ctx.account, kind, record)


def list_inline(runtime, ctx, kind: Kind, name: str) -> list[str]:
    return sorted(get(runtime, ctx.account, kind, name)["inline"])


# -- managed policy attachments ---------------------------------------------------------------------
def attach(runtime, ctx, kind: Kind, name: str, policy_arn: str) -> None:
    from .policies import get_policy

    with runtime.store.transaction():
        record = get(runtime, ctx.account, kind, name)
        get_policy(runtime, ctx.account, policy_arn)
        if policy_arn in record["attached"]:
            return
        if len(record["attached"]) >= MANAGED_PER_ENTITY:
            raise limit_exceeded(f"Cannot exceed quota for {kind.quota_name}: {MANAGED_PER_ENTITY}")
        record["attached"].append(policy_arn)
        put(runtime, ctx.account, kind, record)


def detach(runtime, ctx, kind: Kind, name: str, policy_arn: str) -> None:
    with runtime.store.transaction():
        record = get(runtime, ctx.account, kind, name)
        if policy_arn not in record["attached"]:
            raise no_such(f"Policy {policy_arn} was not found.")
        record["attached"].remove(policy_arn)
        put(runtime, ctx.account, kind, record)


def attached(runtime, ctx, kind: Kind, name: str, path_prefix: str | None) -> list[dict]:
    from .policies import find_policy

    out = []
    for arn in get(runtime, ctx.account, kind, name)["attached"]:
        policy = find_policy(runtime, ctx.account, arn)
        if policy is not None and policy["Path"].startswith(path_prefix or "/"):
            out.append({"PolicyName": policy["PolicyName"], "PolicyArn": arn})
    return out


def policy_usage(runtime, account: str) -> tuple[Counter, Counter]:
    """How many entities each policy ARN is attached to, and how many users and roles use it as
    their permissions boundary: one pass over the account, so that listing ~70 AWS managed
    policies reads every entity once, not once per policy."""
    attached, boundaries = Counter(), Counter()
    for kind in KINDS.values():
        for record in all_of(runtime, account, kind):
            attached.update(set(record["attached"]))
            if kind is not GROUP:
                boundary = (record.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
                if boundary:
                    boundaries[boundary] += 1
    return attached, boundaries


def attachment_count(runtime, account: str, policy_arn: str) -> int:
    return policy_usage(runtime, account)[0][policy_arn]


def boundary_users(runtime, account: str, policy_arn: str) -> int:
    return policy_usage(runtime, account)[1][policy_arn]


# -- permissions boundaries -----------------------------------------------------------------------
def set_boundary(runtime, ctx, kind: Kind, name: str, policy_arn: str | None) -> None:
    from .policies import get_policy

    with runtime.store.transaction():
        record = get(runtime, ctx.account, kind, name)
        if policy_arn is None:
            record.pop("PermissionsBoundary", None)
        else:
            get_policy(runtime, ctx.account, policy_arn)
            record["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                             "PermissionsBoundaryArn": policy_arn}
        put(runtime, ctx.account, kind, record)


def is_aws_policy(arn: str) -> bool:
    return managed.get(arn) is not None
