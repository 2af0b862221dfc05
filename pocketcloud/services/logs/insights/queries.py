"""StartQuery / GetQueryResults / StopQuery / DescribeQueries. A query runs to completion at
StartQuery (status Complete from the first GetQueryResults); its results are kept in the store."""

from __future__ import annotations

import uuid

from pocketcloud.protocol.errors import ServiceError

from ..common import group_name_of, invalid, load_group, not_found, now_ms
from ..events import stream_events
from . import engine
from .parser import parse_query

KIND = "query"
MAX_GROUPS = 50


def _groups(ctx, params: dict) -> list[str]:
    given = [key for key in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(key)]
    if len(given) > 1:
        raise invalid("Only one of logGroupName, logGroupNames and logGroupIdentifiers may be given.")
    if not given:
        raise invalid("A query needs logGroupName, logGroupNames or logGroupIdentifiers.")
    if params.get("logGroupName"):
        names = [params["logGroupName"]]
    elif params.get("logGroupNames"):
        names = list(params["logGroupNames"])
    else:
        names = [group_name_of(ctx, {"logGroupIdentifier": i.removesuffix(":*")}) for i in params["logGroupIdentifiers"]]
    if len(names) > MAX_GROUPS:
        raise invalid(f"A query can search at most {MAX_GROUPS} log groups.")
    return names


def start_query(ctx, params: dict) -> dict:
    language = params.get("queryLanguage") or "CWLI"
    if language != "CWLI":
        raise invalid(f"Query language {language} is not supported here; use CWLI.")
    names = _groups(ctx, params)
    start, end = params["startTime"], params["endTime"]
    if end < start:
        raise invalid("End time should not be before the start time.")
    query = params["queryString"]
    commands = parse_query(query)
    groups = [load_group(ctx, name) for name in names]
    records = []
    ns = ctx.namespace("logs")
    for group in groups:
        name = group["logGroupName"]
        for _, stream in ns.list("stream", f"{name}:"):
            for row in stream_events(ctx, group, stream["logStreamName"], start * 1000, end * 1000 + 1000):
                records.append(engine.record(ctx.account, name, stream["logStreamName"], row))
    results, statistics = engine.execute(commands, records, params.get("limit") or 10_000)
    query_id = str(uuid.uuid4())
    ns.put(KIND, query_id, {"queryId": query_id, "queryString": query, "status": "Complete",
                            "createTime": now_ms(ctx), "logGroupName": names[0], "queryLanguage": language,
                            "results": results, "statistics": statistics})
    return {"queryId": query_id}


def _load(ctx, query_id: str) -> dict:
    found = ctx.namespace("logs").get(KIND, query_id)
    if found is None:
        raise not_found(f"Query {query_id} does not exist.")
    return found


def get_query_results(ctx, params: dict) -> dict:
    query = _load(ctx, params["queryId"])
    return {"queryLanguage": query["queryLanguage"], "results": query["results"],
            "statistics": query["statistics"], "status": query["status"]}


def stop_query(ctx, params: dict) -> dict:
    query = _load(ctx, params["queryId"])
    if query["status"] not in ("Scheduled", "Running"):
        raise ServiceError("InvalidParameterException", f"Query {params['queryId']} is not running.", 400)
    return {"success": True}


def describe_queries(ctx, params: dict) -> dict:
    queries = [q for _, q in ctx.namespace("logs").list(KIND)]
    if params.get("logGroupName"):
        queries = [q for q in queries if q["logGroupName"] == params["logGroupName"]]
    if params.get("status"):
        queries = [q for q in queries if q["status"] == params["status"]]
    queries.sort(key=lambda q: q["createTime"], reverse=True)
    limit = params.get("maxResults") or 1000
    return {"queries": [{key: q[key] for key in ("queryLanguage", "queryId", "queryString", "status",
                                                  "createTime", "logGroupName")} for q in queries[:limit]]}


RESULTS_KEPT_MS = 7 * 86_400_000   # AWS keeps a query's results for 7 days


def forget_old_queries(ctx) -> None:
    ns = ctx.namespace("logs")
    cutoff = now_ms(ctx) - RESULTS_KEPT_MS
    for query_id, query in ns.list(KIND):
        if query["createTime"] < cutoff:
            ns.delete(KIND, query_id)


def get_log_record(ctx, params: dict) -> dict:
    """The fields of one event, by the @ptr a query returned."""
    import base64
    import binascii

    try:
        group, stream, event_id = base64.b64decode(params["logRecordPointer"], validate=True).decode().rsplit(":", 2)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("The specified logRecordPointer is invalid.") from None
    record = load_group(ctx, group)
    for row in stream_events(ctx, record, stream):
        if row[0] == event_id:
            fields = engine.record(ctx.account, group, stream, row)
            fields.pop("@ptr", None)
            return {"logRecord": {name: engine.render(name, value, {"@timestamp", "@ingestionTime"})
                                  for name, value in fields.items() if value is not None}}
    raise not_found("The specified log record does not exist.")
