"""The IAM resource ARN an IAM operation acts on (for enforcement), with the entity's real path."""

from __future__ import annotations

from . import entities as E


def entity_arn(runtime, operation: str, params: dict, account: str) -> str:
    if params.get("PolicyArn") and not any(params.get(k) for k in ("UserName", "GroupName", "RoleName")):
        return params["PolicyArn"]
    for key, kind in (("UserName", E.USER), ("GroupName", E.GROUP), ("RoleName", E.ROLE)):
        name = params.get(key)
        if name:
            record = E.find(runtime, account, kind, name) if runtime is not None else None
            if record is not None:
                return record["Arn"]
            return f"arn:aws:iam::{account}:{kind.name}{params.get('Path') or '/'}{name}"
    if params.get("InstanceProfileName"):
        return f"arn:aws:iam::{account}:instance-profile{params.get('Path') or '/'}{params['InstanceProfileName']}"
    if params.get("PolicyName") and operation == "CreatePolicy":
        return f"arn:aws:iam::{account}:policy{params.get('Path') or '/'}{params['PolicyName']}"
    if params.get("SerialNumber"):
        return params["SerialNumber"]
    if params.get("VirtualMFADeviceName"):
        return f"arn:aws:iam::{account}:mfa{params.get('Path') or '/'}{params['VirtualMFADeviceName']}"
    if params.get("PolicySourceArn"):
        return params["PolicySourceArn"]
    if params.get("AWSServiceName"):
        return f"arn:aws:iam::{account}:role/aws-service-role/{params['AWSServiceName']}/*"
    return "*"
