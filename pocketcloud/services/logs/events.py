"""Log events: PutLogEvents with AWS's batch rules, GetLogEvents with its forward/backward tokens,
FilterLogEvents across streams, and the retention that drops expired events.

Accepted events are stored in documents ("chunks") of [id, timestamp, ingestionTime, message]
rows: small batches share a chunk, a large batch has its own. Event ids are 56 digits, as AWS's
are, built so that sorting them as strings sorts a stream's events by timestamp and then by
arrival: 20 digits of timestamp, 16 of a hash of the stream, 12 of the chunk number and 8 of the
index in the chunk.
"""

from __future__ import annotations

import hashlib
import heapq
import re

from .common import (DAY_MS, decode_token, encode_token, group_name_of, invalid,
                     load_group, load_stream, now_ms)
from .groups import sequence_token

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26           # bytes AWS counts per event on top of its message
MAX_EVENT_BYTES = 1_048_576
MAX_AGE_MS = 14 * DAY_MS
MAX_FUTURE_MS = 2 * 3600 * 1000
MAX_SPAN_MS = DAY_MS
MAX_PAGE_BYTES = 1_048_576
SMALL_CHUNK_EVENTS = 64
SMALL_CHUNK_BYTES = 16 * 1024
_GET_TOKEN = re.compile(r"([fb])/(\d{56})(?:/s)?")
_ZERO = "0" * 56


def _stream_hash(group: str, stream: str) -> int:
    return int.from_bytes(hashlib.sha1(f"{group}:{stream}".encode()).digest()[:8], "big") % 10**16


def event_size(message: str) -> int:
    return len(message.encode("utf-8")) + EVENT_OVERHEAD


def _epoch_ms(value) -> int:
    """An event timestamp: epoch milliseconds (in-process callers may pass a datetime)."""
    if hasattr(value, "timestamp"):
        return int(value.timestamp() * 1000)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    raise invalid("Log event timestamp must be epoch milliseconds.")


def retention_cutoff(group: dict, now: int) -> int | None:
    days = group.get("retentionInDays")
    return now - days * DAY_MS if days else None


def put_log_events(ctx, params: dict) -> tuple[dict, list]:
    """Returns (the response, the accepted events as [id, ts, ingestion, message] rows)."""
    group_name, stream_name = params["logGroupName"], params["logStreamName"]
    events = params.get("logEvents") or []
    if not 1 <= len(events) <= MAX_BATCH_EVENTS:
        raise invalid(f"1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
                      f"Member must have length between 1 and {MAX_BATCH_EVENTS}")
    size = 0
    for event in events:
        message = event.get("message")
        if not isinstance(message, str) or not message:
            raise invalid("Log event message must be a non-empty string.")
        one = event_size(message)
        if one - EVENT_OVERHEAD > MAX_EVENT_BYTES:
            raise invalid(f"Log event too large: {one - EVENT_OVERHEAD} bytes exceeds limit of {MAX_EVENT_BYTES}")
        size += one
    if size > MAX_BATCH_BYTES:
        raise invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    stamps = [_epoch_ms(e.get("timestamp")) for e in events]
    if any(b < a for a, b in zip(stamps, stamps[1:])):
        raise invalid("Log events in a single PutLogEvents request must be in chronological order.")

    ns = ctx.namespace("logs")
    now = now_ms(ctx)
    with ns.store.transaction():
        group = load_group(ctx, group_name)
        stream = load_stream(ctx, group_name, stream_name)
        rejected = {}
        too_old_end = sum(1 for ts in stamps if ts < now - MAX_AGE_MS)
        cutoff = retention_cutoff(group, now)
        expired_end = sum(1 for ts in stamps if ts < cutoff) if cutoff is not None else 0
        too_new_start = next((i for i, ts in enumerate(stamps) if ts > now + MAX_FUTURE_MS), len(stamps))
        if too_old_end:
            rejected["tooOldLogEventEndIndex"] = too_old_end
        if expired_end:
            rejected["expiredLogEventEndIndex"] = expired_end
        if too_new_start < len(stamps):
            rejected["tooNewLogEventStartIndex"] = too_new_start
        first = max(too_old_end, expired_end)
        kept = list(range(first, too_new_start))
        if kept and stamps[kept[-1]] - stamps[kept[0]] > MAX_SPAN_MS:
            raise invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
        rows = []
        if kept:
            rows = _store_rows(ns, group_name, stream_name, stream, [(stamps[i], events[i]["message"]) for i in kept],
                               now)
            low, high = stamps[kept[0]], stamps[kept[-1]]
            stream["firstEventTimestamp"] = min(stream.get("firstEventTimestamp", low), low)
            stream["oldestKept"] = min(stream.get("oldestKept", low), low)   # for the retention sweep
            stream["lastEventTimestamp"] = max(stream.get("lastEventTimestamp", high), high)
            stream["lastIngestionTime"] = now
            added = sum(event_size(r[3]) for r in rows)
            stream["storedBytes"] = stream.get("storedBytes", 0) + added
            group["storedBytes"] = group.get("storedBytes", 0) + added
            ns.put("stream", f"{group_name}:{stream_name}", stream)
            ns.put("group", group_name, group)
    out = {"nextSequenceToken": sequence_token(stream)}
    if rejected:
        out["rejectedLogEventsInfo"] = rejected
    return out, rows


def _store_rows(ns, group: str, stream_name: str, stream: dict, accepted: list, now: int) -> list:
    """Append a batch to the stream's open chunk while that stays small (a function's log comes in
    many batches of a few lines: one document each would make reading a stream slow), else start
    a new chunk. Returns the stored rows."""
    open_chunk = stream.get("open")
    size = sum(event_size(message) for _, message in accepted)
    existing: list = []
    if (open_chunk and open_chunk["count"] + len(accepted) <= SMALL_CHUNK_EVENTS
            and open_chunk["bytes"] + size <= SMALL_CHUNK_BYTES):
        chunk = open_chunk["n"]
        existing = (ns.get("events", f"{group}:{stream_name}:{chunk:012d}") or {"events": []})["events"]
    else:
        chunk = stream.get("chunks", 0)
        stream["chunks"] = chunk + 1
        open_chunk = {"n": chunk, "count": 0, "bytes": 0}
    prefix = _stream_hash(group, stream_name)
    start = open_chunk["count"]
    rows = [[f"{ts:020d}{prefix:016d}{chunk:012d}{start + i:08d}", ts, now, message]
            for i, (ts, message) in enumerate(accepted)]
    ns.put("events", f"{group}:{stream_name}:{chunk:012d}", {"events": existing + rows})
    stream["open"] = {"n": chunk, "count": start + len(rows), "bytes": open_chunk["bytes"] + size}
    stream["batches"] = stream.get("batches", 0) + 1
    return rows


def stream_events(ctx, group: dict, stream_name: str, start: int | None = None, end: int | None = None) -> list:
    """A stream's live events in order, within [start, end) and the group's retention."""
    name = group["logGroupName"]
    rows = []
    for _, chunk in ctx.namespace("logs").list("events", f"{name}:{stream_name}:"):
        rows.extend(chunk["events"])
    low = retention_cutoff(group, now_ms(ctx))
    if start is not None:
        low = start if low is None else max(low, start)
    if low is not None or end is not None:
        rows = [r for r in rows if (low is None or r[1] >= low) and (end is None or r[1] < end)]
    rows.sort(key=lambda r: r[0])
    return rows


def _within_bytes(rows: list, from_end: bool) -> list:
    """Trim a page to AWS's 1 MB response size."""
    total, kept = 0, []
    for row in (reversed(rows) if from_end else rows):
        total += event_size(row[3])
        if total > MAX_PAGE_BYTES and kept:
            break
        kept.append(row)
    return kept[::-1] if from_end else kept


def get_log_events(ctx, params: dict) -> dict:
    group_name = group_name_of(ctx, params)
    group = load_group(ctx, group_name)
    load_stream(ctx, group_name, params["logStreamName"])
    rows = stream_events(ctx, group, params["logStreamName"], params.get("startTime"), params.get("endTime"))
    limit = params.get("limit") or 10_000
    token = params.get("nextToken")
    if token:
        match = _GET_TOKEN.fullmatch(token)
        if not match:
            raise invalid("The specified nextToken is invalid.")
        direction, position = match.groups()
        if direction == "f":
            chosen = _within_bytes([r for r in rows if r[0] > position][:limit], from_end=False)
        else:
            chosen = _within_bytes([r for r in rows if r[0] < position][-limit:], from_end=True)
    elif params.get("startFromHead"):
        direction, position = "f", _ZERO
        chosen = _within_bytes(rows[:limit], from_end=False)
    else:
        direction, position = "b", _ZERO
        chosen = _within_bytes(rows[-limit:], from_end=True)
    if chosen:
        forward, backward = f"f/{chosen[-1][0]}/s", f"b/{chosen[0][0]}/s"
    elif token:
        # At the end in the direction read: the same token comes back, so a reader knows to stop.
        forward = token if direction == "f" else f"f/{position}/s"
        backward = token if direction == "b" else f"b/{position}/s"
    else:
        forward, backward = f"f/{_ZERO}/s", f"b/{_ZERO}/s"
    return {"events": [{"timestamp": r[1], "message": r[3], "ingestionTime": r[2]} for r in chosen],
            "nextForwardToken": forward, "nextBackwardToken": backward}


def filter_log_events(ctx, params: dict) -> dict:
    from .patterns import compile_pattern

    group_name = group_name_of(ctx, params)
    group = load_group(ctx, group_name)
    names = params.get("logStreamNames")
    prefix = params.get("logStreamNamePrefix")
    if names and prefix:
        raise invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    matcher = compile_pattern(params.get("filterPattern") or "")
    streams = [s["logStreamName"] for _, s in ctx.namespace("logs").list("stream", f"{group_name}:{prefix or ''}")]
    if names:
        streams = [s for s in streams if s in set(names)]
    after = ""
    if params.get("nextToken"):
        after = decode_token(params["nextToken"])
        if not isinstance(after, str):
            raise invalid("The specified nextToken is invalid.")
    per_stream = [[(row, stream) for row in stream_events(ctx, group, stream, params.get("startTime"),
                                                          params.get("endTime")) if row[0] > after]
                  for stream in streams]
    # Event ids sort by timestamp first: merging the streams' sorted events by id interleaves them
    # in time order, and the scan stops at the first match past the page, not at the end.
    limit = params.get("limit") or 10_000
    page_rows, total, more = [], 0, False
    for row, stream in heapq.merge(*per_stream, key=lambda item: item[0][0]):
        if matcher.match(row[3]) is None:
            continue
        total += event_size(row[3])
        if len(page_rows) >= limit or (total > MAX_PAGE_BYTES and page_rows):
            more = True
            break
        page_rows.append((row, stream))
    out = {"events": [{"logStreamName": s, "timestamp": r[1], "message": r[3], "ingestionTime": r[2],
                       "eventId": r[0]} for r, s in page_rows],
           "searchedLogStreams": [{"logStreamName": s, "searchedCompletely": True} for s in streams]}
    if more:
        out["nextToken"] = encode_token(page_rows[-1][0][0])
    return out


def sweep_expired(ctx) -> int:
    """Delete the events a group's retention has expired; returns how many went. Only streams
    whose oldest kept event is past the retention are read, so a sweep that finds nothing to do
    costs a look at the stream records."""
    ns = ctx.namespace("logs")
    now = now_ms(ctx)
    removed = 0
    for name, group in ns.list("group"):
        cutoff = retention_cutoff(group, now)
        if cutoff is None:
            continue
        for stream_key, stream in ns.list("stream", f"{name}:"):
            if stream.get("oldestKept", cutoff) >= cutoff:
                continue
            with ns.store.transaction():
                freed, oldest = 0, None
                for key, chunk in ns.list("events", f"{stream_key}:"):
                    live = [r for r in chunk["events"] if r[1] >= cutoff]
                    if live:
                        low = min(r[1] for r in live)
                        oldest = low if oldest is None else min(oldest, low)
                    if len(live) == len(chunk["events"]):
                        continue
                    freed += sum(event_size(r[3]) for r in chunk["events"] if r[1] < cutoff)
                    removed += len(chunk["events"]) - len(live)
                    if live:
                        ns.put("events", key, {"events": live})
                    else:
                        ns.delete("events", key)
                fresh = ns.get("stream", stream_key)
                if fresh is not None:
                    if oldest is None:
                        fresh.pop("oldestKept", None)
                    else:
                        fresh["oldestKept"] = oldest
                    fresh["storedBytes"] = max(0, fresh.get("storedBytes", 0) - freed)
                    ns.put("stream", stream_key, fresh)
                group_now = ns.get("group", name)
                if freed and group_now is not None:
                    group_now["storedBytes"] = max(0, group_now.get("storedBytes", 0) - freed)
                    ns.put("group", name, group_now)
    return removed
