"""Log groups and log streams: create, describe, delete, retention, KMS key ids and tags."""

from __future__ import annotations

from pocketcloud.protocol.errors import ServiceError

from .common import (GROUP_CLASSES, RETENTION_DAYS, check_group_name, check_stream_name, group_arn,
                     group_name_of, invalid, listed, load_group, not_found, now_ms)

MAX_TAGS = 50


def _check_tags(tags: dict) -> None:
    if len(tags) > MAX_TAGS:
        raise invalid(f"A resource can have no more than {MAX_TAGS} tags.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.startswith("aws:"):
            raise invalid(f"Invalid tag key: {key}")
        if len(value) > 256:
            raise invalid(f"Invalid tag value for key: {key}")


async def check_kms_key(ctx, key_id: str) -> None:
    """A log group's key must be an enabled symmetric KMS key of this account and region."""
    try:
        meta = (await ctx.runtime.providers.call("kms", "DescribeKey", {"KeyId": key_id}, ctx.account,
                                                 ctx.region))["KeyMetadata"]
    except LookupError:
        return  # KMS is not there to ask: the id is kept as given
    except ServiceError:
        meta = None
    if meta is None or meta.get("KeyState") != "Enabled" or meta.get("KeySpec") not in (None, "SYMMETRIC_DEFAULT"):
        raise invalid(f"Specified KMS key {key_id} does not exist, is not enabled, or is not a symmetric key "
                      "that this log group may use.")


async def create_log_group(ctx, params: dict) -> dict:
    name = params["logGroupName"]
    check_group_name(name)
    if name.startswith("aws/"):
        raise invalid("Log group names starting with 'aws/' are reserved for AWS.")
    group_class = params.get("logGroupClass") or "STANDARD"
    if group_class not in GROUP_CLASSES:
        raise invalid(f"1 validation error detected: Value '{group_class}' at 'logGroupClass' failed to "
                      f"satisfy constraint: Member must satisfy enum value set: [{', '.join(GROUP_CLASSES)}]")
    tags = dict(params.get("tags") or {})
    _check_tags(tags)
    if params.get("kmsKeyId"):
        await check_kms_key(ctx, params["kmsKeyId"])
    ns = ctx.namespace("logs")
    record = {"logGroupName": name, "creationTime": now_ms(ctx), "logGroupClass": group_class, "tags": tags,
              "deletionProtectionEnabled": bool(params.get("deletionProtectionEnabled"))}
    if params.get("kmsKeyId"):
        record["kmsKeyId"] = params["kmsKeyId"]
    with ns.store.transaction():
        if ns.get("group", name) is not None:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log group already exists", 400)
        ns.put("group", name, record)
    return {}


def _check_not_protected(group: dict) -> None:
    """Deletion protection blocks every deletion in the group."""
    if group.get("deletionProtectionEnabled"):
        raise ServiceError("ValidationException", "Cannot delete log group with deletion protection enabled. "
                           "Disable deletion protection first.", 400)


def delete_log_group(ctx, params: dict) -> dict:
    name = params["logGroupName"]
    ns = ctx.namespace("logs")
    with ns.store.transaction():
        _check_not_protected(load_group(ctx, name))
        for kind in ("stream", "events", "subscription", "metric-filter"):
            for key, _ in ns.list(kind, f"{name}:"):
                ns.delete(kind, key)
        ns.delete("group", name)
    return {}


def group_view(ctx, group: dict, metric_filters: int) -> dict:
    name = group["logGroupName"]
    out = {"logGroupName": name, "creationTime": group["creationTime"], "metricFilterCount": metric_filters,
           "arn": group_arn(ctx, name) + ":*", "logGroupArn": group_arn(ctx, name),
           "storedBytes": group.get("storedBytes", 0), "logGroupClass": group.get("logGroupClass", "STANDARD"),
           "deletionProtectionEnabled": group.get("deletionProtectionEnabled", False)}
    if group.get("retentionInDays"):
        out["retentionInDays"] = group["retentionInDays"]
    if group.get("kmsKeyId"):
        out["kmsKeyId"] = group["kmsKeyId"]
    return out


def describe_log_groups(ctx, params: dict) -> dict:
    prefix = params.get("logGroupNamePrefix")
    pattern = params.get("logGroupNamePattern")
    if prefix and pattern:
        raise invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
    idents = params.get("logGroupIdentifiers")
    if idents and (prefix or pattern):
        raise invalid("logGroupIdentifiers cannot be used with logGroupNamePrefix or logGroupNamePattern.")
    ns = ctx.namespace("logs")
    groups = [g for _, g in ns.list("group", prefix or "")]
    if pattern:
        groups = [g for g in groups if pattern.lower() in g["logGroupName"].lower()]
    if idents:
        wanted = {group_name_of(ctx, {"logGroupIdentifier": i.removesuffix(":*")}) for i in idents}
        groups = [g for g in groups if g["logGroupName"] in wanted]
    if params.get("logGroupClass"):
        groups = [g for g in groups if g.get("logGroupClass", "STANDARD") == params["logGroupClass"]]
    counts: dict[str, int] = {}
    for key, _ in ns.list("metric-filter"):
        group = key.split(":", 1)[0]
        counts[group] = counts.get(group, 0) + 1
    out = listed("logGroups", groups, params)
    out["logGroups"] = [group_view(ctx, g, counts.get(g["logGroupName"], 0)) for g in out["logGroups"]]
    return out


def _update_group(ctx, name: str, change) -> None:
    ns = ctx.namespace("logs")
    with ns.store.transaction():
        group = load_group(ctx, name)
        change(group)
        ns.put("group", name, group)


def put_retention_policy(ctx, params: dict) -> dict:
    days = params["retentionInDays"]
    if days not in RETENTION_DAYS:
        raise invalid(f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy "
                      "constraint: Member must satisfy enum value set: "
                      f"[{', '.join(str(d) for d in sorted(RETENTION_DAYS))}]")
    _update_group(ctx, params["logGroupName"], lambda g: g.__setitem__("retentionInDays", days))
    return {}


def delete_retention_policy(ctx, params: dict) -> dict:
    _update_group(ctx, params["logGroupName"], lambda g: g.pop("retentionInDays", None))
    return {}


async def associate_kms_key(ctx, params: dict) -> dict:
    name = group_name_of(ctx, params)
    load_group(ctx, name)
    await check_kms_key(ctx, params["kmsKeyId"])
    _update_group(ctx, name, lambda g: g.__setitem__("kmsKeyId", params["kmsKeyId"]))
    return {}


def disassociate_kms_key(ctx, params: dict) -> dict:
    name = group_name_of(ctx, params)
    _update_group(ctx, name, lambda g: g.pop("kmsKeyId", None))
    return {}


def put_log_group_deletion_protection(ctx, params: dict) -> dict:
    name = group_name_of(ctx, params)
    _update_group(ctx, name, lambda g: g.__setitem__("deletionProtectionEnabled",
                                                     bool(params["deletionProtectionEnabled"])))
    return {}


# -- tags ------------------------------------------------------------------------------------

def _group_of_arn(ctx, arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs" or parts[5] != "log-group":
        raise invalid(f"Invalid resource ARN: {arn}")
    if parts[3] != ctx.region or parts[4] != ctx.account:
        raise not_found(f"The specified resource does not exist: {arn}")
    name = parts[6]
    if ctx.namespace("logs").get("group", name) is None:
        raise not_found("The specified log group does not exist.")
    return name


def _add_tags(ctx, name: str, tags: dict) -> None:
    def change(group):
        merged = {**group.get("tags", {}), **tags}
        _check_tags(merged)
        group["tags"] = merged
    _update_group(ctx, name, change)


def _remove_tags(ctx, name: str, keys) -> None:
    def change(group):
        group["tags"] = {k: v for k, v in group.get("tags", {}).items() if k not in set(keys)}
    _update_group(ctx, name, change)


def tag_resource(ctx, params: dict) -> dict:
    _add_tags(ctx, _group_of_arn(ctx, params["resourceArn"]), params["tags"])
    return {}


def untag_resource(ctx, params: dict) -> dict:
    _remove_tags(ctx, _group_of_arn(ctx, params["resourceArn"]), params["tagKeys"])
    return {}


def list_tags_for_resource(ctx, params: dict) -> dict:
    name = _group_of_arn(ctx, params["resourceArn"])
    return {"tags": load_group(ctx, name).get("tags", {})}


def tag_log_group(ctx, params: dict) -> dict:
    _add_tags(ctx, params["logGroupName"], params["tags"])
    return {}


def untag_log_group(ctx, params: dict) -> dict:
    _remove_tags(ctx, params["logGroupName"], params["tags"])
    return {}


def list_tags_log_group(ctx, params: dict) -> dict:
    return {"tags": load_group(ctx, params["logGroupName"]).get("tags", {})}


# -- streams ---------------------------------------------------------------------------------

def create_log_stream(ctx, params: dict) -> dict:
    group, stream = params["logGroupName"], params["logStreamName"]
    check_stream_name(stream)
    ns = ctx.namespace("logs")
    with ns.store.transaction():
        load_group(ctx, group)
        if ns.get("stream", f"{group}:{stream}") is not None:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists", 400)
        ns.put("stream", f"{group}:{stream}", {"logStreamName": stream, "creationTime": now_ms(ctx),
                                               "storedBytes": 0, "chunks": 0})
    return {}


def delete_log_stream(ctx, params: dict) -> dict:
    group, stream = params["logGroupName"], params["logStreamName"]
    ns = ctx.namespace("logs")
    with ns.store.transaction():
        _check_not_protected(load_group(ctx, group))
        if not ns.delete("stream", f"{group}:{stream}"):
            raise not_found("The specified log stream does not exist.")
        for key, _ in ns.list("events", f"{group}:{stream}:"):
            ns.delete("events", key)
    return {}


def stream_view(ctx, group: str, record: dict) -> dict:
    out = {key: record[key] for key in ("logStreamName", "creationTime", "firstEventTimestamp",
                                        "lastEventTimestamp", "lastIngestionTime") if key in record}
    out["arn"] = f"{group_arn(ctx, group)}:log-stream:{record['logStreamName']}"
    out["storedBytes"] = 0  # deprecated by AWS: always 0
    out["uploadSequenceToken"] = sequence_token(record)
    return out


def sequence_token(record: dict) -> str:
    """AWS still hands out sequence tokens though it ignores them: a 56-digit number."""
    return f"{record.get('batches', 0) + 1:056d}"


def describe_log_streams(ctx, params: dict) -> dict:
    group = group_name_of(ctx, params)
    load_group(ctx, group)
    order = params.get("orderBy") or "LogStreamName"
    if order not in ("LogStreamName", "LastEventTime"):
        raise invalid(f"1 validation error detected: Value '{order}' at 'orderBy' failed to satisfy constraint: "
                      "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
    prefix = params.get("logStreamNamePrefix") or ""
    if prefix and order == "LastEventTime":
        raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    streams = [s for _, s in ctx.namespace("logs").list("stream", f"{group}:{prefix}")]
    if order == "LastEventTime":
        streams.sort(key=lambda s: (s.get("lastEventTimestamp", 0), s["logStreamName"]))
    if params.get("descending"):
        streams.reverse()
    out = listed("logStreams", streams, params)
    out["logStreams"] = [stream_view(ctx, group, s) for s in out["logStreams"]]
    return out


def list_log_groups(ctx, params: dict) -> dict:
    """The newer listing: names, ARNs and classes, filtered by a (case-insensitive) name regex."""
    import re

    groups = [g for _, g in ctx.namespace("logs").list("group")]
    pattern = params.get("logGroupNamePattern")
    if pattern:
        try:
            rx = re.compile(pattern, re.IGNORECASE)
        except re.error:
            raise invalid(f"Invalid logGroupNamePattern: {pattern}") from None
        groups = [g for g in groups if rx.search(g["logGroupName"])]
    if params.get("logGroupClass"):
        groups = [g for g in groups if g.get("logGroupClass", "STANDARD") == params["logGroupClass"]]
    out = listed("logGroups", groups, params)
    out["logGroups"] = [{"logGroupName": g["logGroupName"], "logGroupArn": group_arn(ctx, g["logGroupName"]),
                         "logGroupClass": g.get("logGroupClass", "STANDARD")} for g in out["logGroups"]]
    return out
