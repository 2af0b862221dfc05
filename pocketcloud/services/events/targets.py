"""Rule targets: PutTargets (entries whose ARN pocketcloud cannot deliver to come back in
FailedEntries), RemoveTargets, ListTargetsByRule."""

from __future__ import annotations

import re

from pocketcloud.protocol.errors import ServiceError

from . import transform
from .common import (MAX_TARGETS_PER_RULE, SERVICE, bus_name, check_rule_name, constraint, page, parse_arn,
                     require_rule, rule_key, validation)
from .delivery import TARGET_SERVICES, log_group_of

_TARGET_ID = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
_KEPT = ("Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer", "SqsParameters", "DeadLetterConfig",
         "RetryPolicy", "HttpParameters", "KinesisParameters", "EcsParameters", "BatchParameters")


def _arn_problem(arn: str) -> str | None:
    """Why pocketcloud cannot deliver to this ARN, or None."""
    parts = parse_arn(arn)
    if parts is None or not parts[1] or not parts[2]:
        return "Provided Arn is not in correct format."
    service, _, _, resource = parts
    if service not in TARGET_SERVICES:
        return f"Targets of service {service} are not supported."
    if service == "events" and not resource.startswith("event-bus/"):
        return "Provided Arn is not in correct format."
    if service == "logs" and (not resource.startswith("log-group:") or not log_group_of(resource)):
        return "Provided Arn is not in correct format."
    if service == "lambda" and not resource.startswith("function:"):
        return "Provided Arn is not in correct format."
    return None


def put_targets(ctx, params):
    bus = bus_name(ctx, params.get("EventBusName"))
    name = check_rule_name(params["Rule"], "rule")
    targets = params["Targets"]
    for target in targets:
        if not _TARGET_ID.match(target["Id"]):
            raise constraint(target["Id"], "targets.member.id",
                             r"Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+")
        transform.check_target_input(target)
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq and (parse_arn(dlq) or ("",))[0] != "sqs":
            raise validation(f"DeadLetterConfig Arn for target {target['Id']} must be an SQS queue ARN.")
        parts = parse_arn(target["Arn"])
        if parts and parts[0] == "sqs" and parts[3].endswith(".fifo") and \
                not (target.get("SqsParameters") or {}).get("MessageGroupId"):
            raise validation(f"Parameter(s) SqsParameters must be specified for target: {target['Id']}.")
    if len({t["Id"] for t in targets}) != len(targets):
        raise validation("The same target Id appears more than once in the request.")
    ns = ctx.namespace(SERVICE)
    failed = []
    with ctx.runtime.store.transaction():
        require_rule(ctx, bus, name)
        prefix = rule_key(bus, name) + "|"
        existing = {key[len(prefix):] for key, _ in ns.list("target", prefix)}
        accepted = []
        for target in targets:
            problem = _arn_problem(target["Arn"])
            if problem:
                failed.append({"TargetId": target["Id"], "ErrorCode": "ValidationException", "ErrorMessage": problem})
            else:
                accepted.append(target)
        if len(existing | {t["Id"] for t in accepted}) > MAX_TARGETS_PER_RULE:
            raise ServiceError("LimitExceededException", "The requested resource exceeds the maximum number "
                               f"allowed ({MAX_TARGETS_PER_RULE} targets per rule).", 400)
        for target in accepted:
            ns.put("target", prefix + target["Id"], {k: target[k] for k in _KEPT if target.get(k) is not None})
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


def remove_targets(ctx, params):
    bus = bus_name(ctx, params.get("EventBusName"))
    name = check_rule_name(params["Rule"], "rule")
    ns = ctx.namespace(SERVICE)
    with ctx.runtime.store.transaction():
        require_rule(ctx, bus, name)
        for target_id in params["Ids"]:
            ns.delete("target", f"{rule_key(bus, name)}|{target_id}")
    return {"FailedEntryCount": 0, "FailedEntries": []}


def list_targets_by_rule(ctx, params):
    bus = bus_name(ctx, params.get("EventBusName"))
    name = check_rule_name(params["Rule"], "rule")
    require_rule(ctx, bus, name)
    targets = [t for _, t in ctx.namespace(SERVICE).list("target", rule_key(bus, name) + "|")]
    chunk, token = page(targets, params)
    return {"Targets": chunk, **({"NextToken": token} if token else {})}
