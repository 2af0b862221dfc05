"""Resource-based policies (AddPermission / RemovePermission / GetPolicy), kind "policy",
"<name>:<qualifier or empty>". Statements are written as AWS writes them; they are recorded,
not enforced (pocketcloud does not evaluate IAM)."""

from __future__ import annotations

import json
import re
import uuid

from .functions import load_config, load_latest
from .names import conflict, function_arn, invalid, not_found, resolve

_ACTION = re.compile(r"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$")


def _principal(value: str):
    if value == "*":
        return "*"
    if value.endswith(".amazonaws.com") or value.endswith(".amazon.com"):
        return {"Service": value}
    if re.fullmatch(r"\d{12}", value):
        return {"AWS": f"arn:aws:iam::{value}:root"}
    return {"AWS": value}


def _load(ctx, params: dict):
    ns, name, qualifier = resolve(ctx, params["FunctionName"], params.get("Qualifier"))
    if qualifier:
        load_config(ns, name, qualifier)
    else:
        load_latest(ns, name)
    key = f"{name}:{qualifier or ''}"
    return ns, name, qualifier, key, ns.get("policy", key) or {"Statement": [], "RevisionId": str(uuid.uuid4())}


def add_permission(ctx, params: dict) -> dict:
    ns, name, qualifier, key, policy = _load(ctx, params)
    if not _ACTION.match(params["Action"]):
        raise invalid(f"1 validation error detected: Value '{params['Action']}' at 'action' failed to satisfy "
                      "constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
    if params.get("RevisionId") and params["RevisionId"] != policy["RevisionId"]:
        from ...protocol.errors import ServiceError

        raise ServiceError("PreconditionFailedException", "The Revision Id provided does not match the latest "
                           "Revision Id. Call the GetPolicy API to retrieve the latest Revision Id", 412, Type="User")
    if any(s["Sid"] == params["StatementId"] for s in policy["Statement"]):
        raise conflict("The statement id (sid) provided already exists. Please choose a new statement id, or remove "
                       "the existing statement.")
    statement = {"Sid": params["StatementId"], "Effect": "Allow", "Principal": _principal(params["Principal"]),
                 "Action": params["Action"], "Resource": function_arn(ns.region, ns.account, name, qualifier)}
    condition: dict = {}
    if params.get("SourceArn"):
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = params["SourceArn"]
    if params.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
    if params.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if params.get("EventSourceToken"):
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
    if params.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
    if condition:
        statement["Condition"] = condition
    policy["Statement"].append(statement)
    policy["RevisionId"] = str(uuid.uuid4())
    ns.put("policy", key, policy)
    return {"Statement": json.dumps(statement), "__status__": 201}


def remove_permission(ctx, params: dict) -> dict:
    ns, name, qualifier, key, policy = _load(ctx, params)
    kept = [s for s in policy["Statement"] if s["Sid"] != params["StatementId"]]
    if len(kept) == len(policy["Statement"]):
        raise not_found(f"Statement {params['StatementId']} is not found in resource policy.")
    if kept:
        ns.put("policy", key, {"Statement": kept, "RevisionId": str(uuid.uuid4())})
    else:
        ns.delete("policy", key)
    return {"__status__": 204}


def get_policy(ctx, params: dict) -> dict:
    ns, name, qualifier, key, policy = _load(ctx, params)
    if not policy["Statement"]:
        raise not_found("The resource you requested does not exist.")
    document = {"Version": "2012-10-17", "Id": "default", "Statement": policy["Statement"]}
    return {"Policy": json.dumps(document), "RevisionId": policy["RevisionId"]}
