"""Metric filters: events matching a filter's pattern become metric data points in CloudWatch.

When CloudWatch is not there (its provider missing: LookupError), the points are counted in this
service's store (kind "metric-data", per namespace and metric: count, sum, last timestamp), so
nothing matched is lost and the totals can be checked.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from pocketcloud.protocol.errors import ServiceError

from .common import delete_group_filter, invalid, listed, load_group, now_ms, put_group_filter
from .patterns import compile_pattern, log_fields, resolve, _selector

log = logging.getLogger("pocketcloud.logs")

KIND = "metric-filter"
MAX_PER_GROUP = 100
MAX_DIMENSIONS = 3


def _check_field_reference(value: str, pattern: str) -> None:
    if value.startswith("$."):
        _selector(value, pattern)


def put_metric_filter(ctx, params: dict) -> dict:
    group, name = params["logGroupName"], params["filterName"]
    pattern = params.get("filterPattern") or ""
    compile_pattern(pattern)
    transformations = params["metricTransformations"]
    if len(transformations) != 1:
        raise invalid("A metric filter has exactly one metric transformation.")
    for t in transformations:
        value = str(t["metricValue"])
        if not value.startswith("$"):
            try:
                float(value)
            except ValueError:
                raise invalid(f"Invalid metric value: {value}") from None
        _check_field_reference(value, value)
        dims = t.get("dimensions") or {}
        if len(dims) > MAX_DIMENSIONS:
            raise invalid(f"A metric transformation can have at most {MAX_DIMENSIONS} dimensions.")
        for dim in dims.values():
            if not dim.startswith("$"):
                raise invalid(f"Invalid dimension value: {dim}. Dimension values must be fields of the pattern.")
        if dims and "defaultValue" in t:
            raise invalid("A metric transformation with dimensions cannot have a default value.")
    put_group_filter(ctx, KIND, {
        "filterName": name, "filterPattern": pattern, "logGroupName": group, "creationTime": now_ms(ctx),
        "metricTransformations": [dict(t) for t in transformations],
        "applyOnTransformedLogs": bool(params.get("applyOnTransformedLogs"))}, MAX_PER_GROUP)
    return {}


def describe_metric_filters(ctx, params: dict) -> dict:
    group = params.get("logGroupName")
    if params.get("filterNamePrefix") and not group:
        raise invalid("The filterNamePrefix parameter requires the logGroupName parameter.")
    metric, namespace = params.get("metricName"), params.get("metricNamespace")
    if bool(metric) != bool(namespace):
        raise invalid("The metricName and metricNamespace parameters must be given together.")
    ns = ctx.namespace("logs")
    if group:
        load_group(ctx, group)
        found = [f for _, f in ns.list(KIND, f"{group}:{params.get('filterNamePrefix') or ''}")]
    else:
        found = [f for _, f in ns.list(KIND)]
    if metric:
        found = [f for f in found if any(t["metricName"] == metric and t["metricNamespace"] == namespace
                                         for t in f["metricTransformations"])]
    return listed("metricFilters", found, params)


def delete_metric_filter(ctx, params: dict) -> dict:
    return delete_group_filter(ctx, KIND, params, "metric filter")


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def test_metric_filter(ctx, params: dict) -> dict:
    matcher = compile_pattern(params.get("filterPattern") or "")
    matches = []
    for number, message in enumerate(params["logEventMessages"], start=1):
        extracted = matcher.match(message)
        if extracted is not None:
            matches.append({"eventNumber": number, "eventMessage": message,
                            "extractedValues": {k: _text(v) for k, v in extracted.items()}})
    return {"matches": matches}


def _field(reference: str, message: str, extracted: dict):
    """A metric value or dimension reference: $.json.path, $named_field, $1 (nth field) or a literal."""
    if not reference.startswith("$"):
        return reference
    if reference.startswith("$."):
        try:
            found = resolve(json.loads(message), _selector(reference, reference))
        except ValueError:
            return None
        return found[0] if found else None
    if reference in extracted:
        return extracted[reference]
    if reference[1:].isdigit():
        fields = log_fields(message)
        index = int(reference[1:]) - 1
        return fields[index] if 0 <= index < len(fields) else None
    return None


def _points(ctx, group: str, rows: list) -> list[tuple[dict, dict]]:
    """(transformation, CloudWatch datum) for each matching event of the batch."""
    out = []
    for _, flt in ctx.namespace("logs").list(KIND, f"{group}:"):
        try:
            matcher = compile_pattern(flt["filterPattern"])
        except ServiceError:
            continue
        for t in flt["metricTransformations"]:
            matched = False
            for row in rows:
                extracted = matcher.match(row[3])
                if extracted is None:
                    continue
                raw = _field(str(t["metricValue"]), row[3], extracted)
                try:
                    value = float(raw)
                except (TypeError, ValueError):
                    continue
                dims = []
                for dim_name, ref in (t.get("dimensions") or {}).items():
                    dim_value = _field(ref, row[3], extracted)
                    if dim_value is not None:
                        dims.append({"Name": dim_name, "Value": _text(dim_value)})
                matched = True
                out.append((t, _datum(t, value, row[1], dims)))
            if not matched and t.get("defaultValue") is not None and rows:
                out.append((t, _datum(t, float(t["defaultValue"]), rows[-1][1], [])))
    return out


def _datum(t: dict, value: float, timestamp_ms: int, dims: list) -> dict:
    datum = {"MetricName": t["metricName"], "Value": value,
             "Timestamp": datetime.fromtimestamp(timestamp_ms / 1000, timezone.utc)}
    if t.get("unit"):
        datum["Unit"] = t["unit"]
    if dims:
        datum["Dimensions"] = dims
    return datum


async def emit(ctx, group: str, rows: list) -> None:
    """Turn a batch's matching events into metric data."""
    for t, datum in _points(ctx, group, rows):
        try:
            await ctx.runtime.providers.call("cloudwatch", "PutMetricData",
                                             {"Namespace": t["metricNamespace"], "MetricData": [datum]},
                                             ctx.account, ctx.region)
        except LookupError:
            _count(ctx, t["metricNamespace"], datum)
        except Exception:  # a metric that cannot be stored must not fail the PutLogEvents that made it
            log.exception("metric filter could not put %s", datum["MetricName"])


def _count(ctx, namespace: str, datum: dict) -> None:
    ns = ctx.namespace("logs")
    key = f"{namespace}:{datum['MetricName']}"
    with ns.store.transaction():
        record = ns.get("metric-data", key) or {"count": 0, "sum": 0.0}
        record["count"] += 1
        record["sum"] += datum["Value"]
        record["last"] = datum["Timestamp"]
        ns.put("metric-data", key, record)
