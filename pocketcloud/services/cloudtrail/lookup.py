"""LookupEvents: event history, the management events of the last 90 days, newest first."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from pocketcloud.protocol.errors import ServiceError

from . import eventstore

_ATTRIBUTES = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId")


def _matcher(attributes: list[dict]):
    if len(attributes) > 1:
        raise ServiceError("InvalidLookupAttributesException",
                           "You can only specify one lookup attribute.", 400)
    if not attributes:
        return lambda entry: True
    key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue", "")
    if key not in _ATTRIBUTES:
        raise ServiceError("InvalidLookupAttributesException", f"Lookup attribute key {key} is not valid.", 400)

    def match(entry: dict) -> bool:
        record = entry["record"]
        if key == "EventId":
            return record["eventID"] == value
        if key == "EventName":
            return record["eventName"] == value
        if key == "ReadOnly":
            return str(record["readOnly"]).lower() == value.lower()
        if key == "Username":
            return entry["lookup"]["Username"] == value
        if key == "EventSource":
            return record["eventSource"] == value
        if key == "AccessKeyId":
            return record["userIdentity"].get("accessKeyId") == value
        field = "ResourceType" if key == "ResourceType" else "ResourceName"
        return any(r[field] == value for r in entry["lookup"]["Resources"])

    return match


def _prefilter(attributes: list[dict], after: str | None):
    """A test on the stored fields (recorder.Call order) that spares building records that
    cannot match: the page position, and the attributes the stored call answers directly."""
    from .records import event_source, is_read_only

    key = attributes[0].get("AttributeKey") if attributes else None
    value = attributes[0].get("AttributeValue", "") if attributes else ""
    tests = []
    if after is not None:
        tests.append(lambda name, fields: name < after)
    if key == "EventName":
        tests.append(lambda name, fields: fields[2] == value)
    elif key == "EventSource":
        tests.append(lambda name, fields: event_source(fields[1]) == value)
    elif key == "AccessKeyId":
        tests.append(lambda name, fields: fields[6] == value)
    elif key == "ReadOnly":
        tests.append(lambda name, fields: str(is_read_only(fields[2])).lower() == value.lower())
    elif key == "EventId":
        wanted = value.replace("-", "").lower()
        tests.append(lambda name, fields: fields[13] == wanted)
    return lambda name, fields: all(test(name, fields) for test in tests)


def _epoch(value) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def lookup_events(ctx, params: dict) -> dict:
    from .recorder import recorder_for

    recorder_for(ctx.runtime).flush()
    if params.get("EventCategory") not in (None, "insight"):
        raise ServiceError("InvalidEventCategoryException", "Event category is not valid.", 400)
    if params.get("EventCategory") == "insight":
        return {"Events": []}
    match = _matcher(params.get("LookupAttributes") or [])
    now = ctx.runtime.clock.time()
    oldest = now - eventstore.RETENTION_DAYS * 86400
    start = max(_epoch(params["StartTime"]) - 0.001, oldest) if params.get("StartTime") else oldest
    end = min(_epoch(params["EndTime"]), now) if params.get("EndTime") else now
    if params.get("StartTime") and params.get("EndTime") and _epoch(params["StartTime"]) > _epoch(params["EndTime"]):
        raise ServiceError("InvalidTimeRangeException", "Start time must be before end time.", 400)
    limit = params.get("MaxResults", 50)
    if not 1 <= limit <= 50:
        raise ServiceError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.", 400)
    after = None
    if params.get("NextToken"):
        try:
            after = base64.urlsafe_b64decode(params["NextToken"].encode()).decode()
        except Exception:
            raise ServiceError("InvalidNextTokenException", "Invalid NextToken.", 400) from None
    events, next_token, last = [], None, ""
    keep = _prefilter(params.get("LookupAttributes") or [], after)
    for name, entry in eventstore.events_between(ctx.namespace("cloudtrail"), "Management", start, end, keep=keep):
        if not match(entry):
            continue
        if len(events) == limit:
            next_token = base64.urlsafe_b64encode(last.encode()).decode()
            break
        events.append(_event(entry))
        last = name
    out = {"Events": events}
    if next_token:
        out["NextToken"] = next_token
    return out


def _event(entry: dict) -> dict:
    record = entry["record"]
    out = {"EventId": record["eventID"], "EventName": record["eventName"],
           "ReadOnly": "true" if record["readOnly"] else "false",
           "EventTime": datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ"),
           "EventSource": record["eventSource"], "Username": entry["lookup"]["Username"],
           "Resources": entry["lookup"]["Resources"],
           "CloudTrailEvent": json.dumps(record, separators=(",", ":"))}
    if record["userIdentity"].get("accessKeyId"):
        out["AccessKeyId"] = record["userIdentity"]["accessKeyId"]
    return out
