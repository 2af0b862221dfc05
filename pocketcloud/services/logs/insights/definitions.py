"""Saved Logs Insights queries (query definitions) and GetLogGroupFields."""

from __future__ import annotations

import uuid

from ..common import group_name_of, listed, load_group, not_found, now_ms
from ..events import stream_events
from . import engine
from .parser import parse_query

KIND = "query-definition"
FIELDS_WINDOW_MS = 8 * 60 * 1000


def put_query_definition(ctx, params: dict) -> dict:
    language = params.get("queryLanguage") or "CWLI"
    if language == "CWLI":
        parse_query(params["queryString"])
    ns = ctx.namespace("logs")
    definition_id = params.get("queryDefinitionId")
    with ns.store.transaction():
        if definition_id and ns.get(KIND, definition_id) is None:
            raise not_found(f"Query definition {definition_id} does not exist.")
        definition_id = definition_id or str(uuid.uuid4())
        record = {"queryLanguage": language, "queryDefinitionId": definition_id, "name": params["name"],
                  "queryString": params["queryString"], "lastModified": now_ms(ctx),
                  "logGroupNames": list(params.get("logGroupNames") or [])}
        if params.get("parameters"):
            record["parameters"] = list(params["parameters"])
        ns.put(KIND, definition_id, record)
    return {"queryDefinitionId": definition_id}


def describe_query_definitions(ctx, params: dict) -> dict:
    prefix = params.get("queryDefinitionNamePrefix") or ""
    found = [d for _, d in ctx.namespace("logs").list(KIND) if d["name"].startswith(prefix)]
    if params.get("queryLanguage"):
        found = [d for d in found if d["queryLanguage"] == params["queryLanguage"]]
    found.sort(key=lambda d: d["name"])
    return listed("queryDefinitions", found, {"limit": params.get("maxResults"), "nextToken": params.get("nextToken")},
                  1000)


def delete_query_definition(ctx, params: dict) -> dict:
    if not ctx.namespace("logs").delete(KIND, params["queryDefinitionId"]):
        raise not_found(f"Query definition {params['queryDefinitionId']} does not exist.")
    return {"success": True}


def get_log_group_fields(ctx, params: dict) -> dict:
    """The fields of the events around `time` (8 minutes either side) or of the last 15 minutes,
    with the share of events that have each."""
    name = group_name_of(ctx, params)
    group = load_group(ctx, name)
    if params.get("time") is not None:
        centre = params["time"] * 1000
        start, end = centre - FIELDS_WINDOW_MS, centre + FIELDS_WINDOW_MS
    else:
        end = now_ms(ctx) + 1
        start = end - 15 * 60 * 1000
    counts: dict[str, int] = {}
    total = 0
    for _, stream in ctx.namespace("logs").list("stream", f"{name}:"):
        for row in stream_events(ctx, group, stream["logStreamName"], start, end):
            total += 1
            for field in engine.record(ctx.account, name, stream["logStreamName"], row):
                if field != "@ptr":
                    counts[field] = counts.get(field, 0) + 1
    return {"logGroupFields": [{"name": field, "percent": round(100 * count / total)}
                               for field, count in sorted(counts.items())]}
