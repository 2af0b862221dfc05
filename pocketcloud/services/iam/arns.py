"""The IAM resource ARN an IAM operation acts on (for enforcement), with the entity's real path."""

from __future__ import annotations

from . import entities as E


def entity_arn(runtime, operation: str, params: dict, account: str) -> tuple[str, dict]:
    """(ARN, tags of the entity when it exists: aws:ResourceTag/* and iam:ResourceTag/*)."""
    arn, record = _entity(runtime, operation, params, account)
    tags = {}
    for tag in (record or {}).get("Tags") or []:
        tags[f"aws:resourcetag/{tag['Key'].lower()}"] = tag["Value"]
        tags[f"iam:resourcetag/{tag['Key'].lower()}"] = tag["Value"]
    return arn, tags


def _entity(runtime, operation: str, params: dict, account: str) -> tuple[str, dict | None]:
    if params.get("PolicyArn") and not any(params.get(k) for k in ("UserName", "GroupName", "RoleName")):
        return params["PolicyArn"], None
    for key, kind in (("UserName", E.USER), ("GroupName", E.GROUP), ("RoleName", E.ROLE)):
        name = params.get(key)
        if name:
            record = E.find(runtime, account, kind, name) if runtime is not None else None
            if record is not None:
                return record["Arn"], record
            return f"arn:aws:iam::{account}:{kind.name}{params.get('Path') or '/'}{name}", None
    if params.get("InstanceProfileName"):
        return f"arn:aws:iam::{account}:instance-profile{params.get('Path') or '/'}{params['InstanceProfileName']}", None
    if params.get("PolicyName") and operation == "CreatePolicy":
        return f"arn:aws:iam::{account}:policy{params.get('Path') or '/'}{params['PolicyName']}", None
    if params.get("SerialNumber"):
        return params["SerialNumber"], None
    if params.get("VirtualMFADeviceName"):
        return f"arn:aws:iam::{account}:mfa{params.get('Path') or '/'}{params['VirtualMFADeviceName']}", None
    if params.get("PolicySourceArn"):
        return params["PolicySourceArn"], None
    if params.get("AWSServiceName"):
        return f"arn:aws:iam::{account}:role/aws-service-role/{params['AWSServiceName']}/*", None
    return "*", None
