"""Event buses: the implicit default bus, custom buses, and their resource policies
(PutPermission / RemovePermission, or a whole policy document)."""

from __future__ import annotations

import json

from pocketcloud.protocol.errors import ServiceError

from .common import (DEFAULT_BUS, MAX_BUSES, SERVICE, bus_arn, bus_name, ensure_bus, not_found, page,
                     rule_key, validation)

MAX_POLICY_BYTES = 10240


def _describe(bus: dict) -> dict:
    out = {"Name": bus["Name"], "Arn": bus["Arn"], "CreationTime": bus["CreationTime"],
           "LastModifiedTime": bus["LastModifiedTime"]}
    for field in ("Description", "Policy", "KmsKeyIdentifier", "DeadLetterConfig"):
        if bus.get(field):
            out[field] = bus[field]
    return out


def create_event_bus(ctx, params):
    name = params["Name"]
    ns = ctx.namespace(SERVICE)
    if params.get("EventSourceName"):
        raise validation("Partner event sources are not supported.")
    bus_name(ctx, name)  # the name's characters
    if "/" in name:  # only partner buses (aws.partner/...) have one
        raise validation("Event bus name must not contain '/'.")
    if name.startswith("aws."):
        raise validation("Event source aws.* is reserved; a custom event bus name cannot start with 'aws.'.")
    with ctx.runtime.store.transaction():
        if name == DEFAULT_BUS or ns.get("bus", name) is not None:
            raise ServiceError("ResourceAlreadyExistsException", f"Event bus {name} already exists.", 400)
        if len([n for n, _ in ns.list("bus") if n != DEFAULT_BUS]) >= MAX_BUSES:
            raise ServiceError("LimitExceededException",
                               f"The requested resource exceeds the maximum number allowed ({MAX_BUSES}).", 400)
        now = ctx.now
        bus = {"Name": name, "Arn": bus_arn(ctx.account, ctx.region, name), "CreationTime": now,
               "LastModifiedTime": now, "Tags": {t["Key"]: t["Value"] for t in params.get("Tags") or []}}
        for field in ("Description", "KmsKeyIdentifier", "DeadLetterConfig"):
            if params.get(field):
                bus[field] = params[field]
        ns.put("bus", name, bus)
    return {"EventBusArn": bus["Arn"], **{f: bus[f] for f in ("Description", "KmsKeyIdentifier",
                                                             "DeadLetterConfig") if f in bus}}


def describe_event_bus(ctx, params):
    return _describe(ensure_bus(ctx, bus_name(ctx, params.get("Name"))))


def update_event_bus(ctx, params):
    name = bus_name(ctx, params.get("Name"))
    with ctx.runtime.store.transaction():
        bus = ensure_bus(ctx, name)
        for field in ("Description", "KmsKeyIdentifier", "DeadLetterConfig"):
            if field in params:
                bus[field] = params[field]
        bus["LastModifiedTime"] = ctx.now
        ctx.namespace(SERVICE).put("bus", name, bus)
    return {"Arn": bus["Arn"], "Name": name, **{f: bus[f] for f in ("Description", "KmsKeyIdentifier",
                                                                      "DeadLetterConfig") if bus.get(f)}}


def list_event_buses(ctx, params):
    ensure_bus(ctx, DEFAULT_BUS)
    prefix = params.get("NamePrefix") or ""
    buses = [_describe(b) for _, b in ctx.namespace(SERVICE).list("bus", prefix)]
    chunk, token = page(buses, params)
    return {"EventBuses": chunk, **({"NextToken": token} if token else {})}


def delete_event_bus(ctx, params):
    """Deleting a bus deletes its rules and their targets; a bus that is not there is no error."""
    name = params["Name"]
    if name == DEFAULT_BUS:
        raise validation("Cannot delete event bus default.")
    ns = ctx.namespace(SERVICE)
    with ctx.runtime.store.transaction():
        for key, _ in ns.list("rule", rule_key(name, "")):
            ns.delete("rule", key)
        for key, _ in ns.list("target", rule_key(name, "")):
            ns.delete("target", key)
        ns.delete("bus", name)
    return {}


# -- resource policy -------------------------------------------------------------------------------
def put_permission(ctx, params):
    name = bus_name(ctx, params.get("EventBusName"))
    with ctx.runtime.store.transaction():
        bus = ensure_bus(ctx, name)
        if params.get("Policy"):
            if any(params.get(f) for f in ("Action", "Principal", "StatementId", "Condition")):
                raise validation("Policy cannot be combined with Action, Principal, StatementId or Condition.")
            text = params["Policy"]
            try:
                document = json.loads(text)
            except ValueError:
                raise validation("Policy is not valid JSON.") from None
            if not isinstance(document, dict) or not isinstance(document.get("Statement"), (list, dict)):
                raise validation("Policy must contain a Statement.")
        else:
            text = json.dumps(_with_statement(bus, ctx, params))
        if len(text.encode()) > MAX_POLICY_BYTES:
            raise ServiceError("PolicyLengthExceededException", "The event bus policy is too long.", 400)
        bus["Policy"] = text
        bus["LastModifiedTime"] = ctx.now
        ctx.namespace(SERVICE).put("bus", name, bus)
    return {}


def _with_statement(bus: dict, ctx, params) -> dict:
    missing = [f for f in ("Action", "Principal", "StatementId") if not params.get(f)]
    if missing:
        raise validation(f"Parameter(s) {', '.join(missing)} must be specified.")
    action, principal, sid = params["Action"], params["Principal"], params["StatementId"]
    if action != "events:PutEvents":
        raise validation("Provided value in parameter 'action' is not supported.")
    if principal != "*" and not (principal.isdigit() and len(principal) == 12):
        raise validation("Parameter Principal is not valid.")
    condition = params.get("Condition")
    statement = {"Sid": sid, "Effect": "Allow",
                 "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
                 "Action": action, "Resource": bus["Arn"]}
    if condition:
        if condition["Type"] != "StringEquals" or condition["Key"] != "aws:PrincipalOrgID":
            raise validation("Condition must be of Type StringEquals with Key aws:PrincipalOrgID.")
        statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
    document = json.loads(bus["Policy"]) if bus.get("Policy") else {"Version": "2012-10-17", "Statement": []}
    statements = [s for s in _statements(document) if s.get("Sid") != sid]
    document["Statement"] = statements + [statement]
    return document


def _statements(document: dict) -> list:
    found = document.get("Statement") or []
    return found if isinstance(found, list) else [found]


def remove_permission(ctx, params):
    name = bus_name(ctx, params.get("EventBusName"))
    with ctx.runtime.store.transaction():
        bus = ensure_bus(ctx, name)
        if not bus.get("Policy"):
            raise not_found("EventBus does not have a policy.")
        if params.get("RemoveAllPermissions"):
            bus.pop("Policy")
        else:
            sid = params.get("StatementId")
            if not sid:
                raise validation("Parameter(s) StatementId must be specified.")
            document = json.loads(bus["Policy"])
            statements = _statements(document)
            kept = [s for s in statements if s.get("Sid") != sid]
            if len(kept) == len(statements):
                raise not_found("Statement with the provided id does not exist.")
            if kept:
                document["Statement"] = kept
                bus["Policy"] = json.dumps(document)
            else:
                bus.pop("Policy")
        bus["LastModifiedTime"] = ctx.now
        ctx.namespace(SERVICE).put("bus", name, bus)
    return {}
