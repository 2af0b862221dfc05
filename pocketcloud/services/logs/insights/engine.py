"""Runs a compiled Logs Insights query over log events and shapes GetQueryResults' rows."""

from __future__ import annotations

import base64
import json
import re

from .parser import format_timestamp, parse_query, text

SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")


def _flatten(value, prefix: str, out: dict) -> None:
    """JSON fields are discovered as Insights does: nested keys joined with dots, list items by index."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _flatten(inner, f"{prefix}.{index}" if prefix else str(index), out)
    elif prefix:
        out[prefix] = value


_LAMBDA_LINE = re.compile(r"(START|END|REPORT) RequestId: (\S+)")
_LAMBDA_REPORT = re.compile(
    r"REPORT RequestId: \S+\s+Duration: ([\d.]+) ms\s+Billed Duration: (\d+) ms\s+Memory Size: (\d+) MB"
    r"\s+Max Memory Used: (\d+) MB(?:\s+Init Duration: ([\d.]+) ms)?")
MB = 1000 * 1000   # Insights reports Lambda memory in bytes


def _lambda_fields(message: str, fields: dict) -> None:
    """The fields Insights discovers in Lambda's START/END/REPORT lines."""
    line = _LAMBDA_LINE.match(message)
    if not line:
        return
    fields["@type"], fields["@requestId"] = line.group(1), line.group(2)
    report = _LAMBDA_REPORT.match(message)
    if report:
        fields["@duration"] = float(report.group(1))
        fields["@billedDuration"] = float(report.group(2))
        fields["@memorySize"] = int(report.group(3)) * MB
        fields["@maxMemoryUsed"] = int(report.group(4)) * MB
        if report.group(5):
            fields["@initDuration"] = float(report.group(5))


def record(account: str, group: str, stream: str, row: list) -> dict:
    """One event as the fields Insights sees: system fields plus discovered JSON fields (and
    Lambda's report fields in /aws/lambda/ groups)."""
    event_id, timestamp, ingestion, message = row
    fields: dict = {}
    if message[:1] in "{[":
        try:
            _flatten(json.loads(message), "", fields)
        except ValueError:
            pass
    elif group.startswith("/aws/lambda/"):
        _lambda_fields(message, fields)
    fields.update({"@timestamp": timestamp, "@message": message, "@logStream": stream,
                   "@log": f"{account}:{group}", "@ingestionTime": ingestion,
                   "@ptr": base64.b64encode(f"{group}:{stream}:{event_id}".encode()).decode()})
    return fields


def run(query: str, records: list[dict], limit: int) -> tuple[list[list[dict]], dict]:
    """(result rows as [{field, value}], statistics)."""
    commands = parse_query(query)
    return execute(commands, records, limit)


def execute(commands, records: list[dict], limit: int):
    scanned = len(records)
    scanned_bytes = sum(len(r["@message"].encode()) for r in records)
    state = {"fields": [], "display": None, "stats": None, "timestamps": {"@timestamp", "@ingestionTime"},
             "limit": limit, "sorted": False}
    rows = sorted(records, key=lambda r: r["@timestamp"], reverse=True)
    matched_before_stats = None
    for command in commands:
        if command.__class__.__name__ == "Stats" and matched_before_stats is None:
            matched_before_stats = len(rows)
        rows = command.run(rows, state)
    matched = matched_before_stats if matched_before_stats is not None else len(rows)
    rows = rows[:state["limit"]]
    names = state["display"] or state["stats"] or state["fields"] or None
    out = []
    for row in rows:
        shown = names or [k for k in row if not k.startswith("\0")]
        cells = []
        for name in shown:
            value = row.get(name)
            if value is None:
                continue
            cells.append({"field": name, "value": render(name, value, state["timestamps"])})
        if state["stats"] is None and "@ptr" in row and not any(c["field"] == "@ptr" for c in cells):
            cells.append({"field": "@ptr", "value": row["@ptr"]})
        out.append(cells)
    statistics = {"recordsMatched": float(matched), "recordsScanned": float(scanned),
                  "bytesScanned": float(scanned_bytes)}
    return out, statistics


def render(name: str, value, timestamps: set) -> str:
    if name in timestamps and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_timestamp(value)
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return text(value)
