"""API keys, usage plans and the keys attached to them."""

from __future__ import annotations

import secrets
from datetime import timedelta

from ...protocol.errors import ServiceError
from .common import patch
from .common.index import new_id
from .state import bad_request, conflict, load_api, not_found, page

_KEY_FIELDS = ("id", "name", "description", "enabled", "createdDate", "lastUpdatedDate", "stageKeys",
               "customerId", "tags")
_PERIODS = {"DAY", "WEEK", "MONTH"}


def _key_view(key: dict, include_value: bool) -> dict:
    out = {k: key[k] for k in _KEY_FIELDS if key.get(k) is not None}
    if include_value:
        out["value"] = key["value"]
    return out


def create_api_key(ctx, params: dict) -> dict:
    value = params.get("value") or secrets.token_urlsafe(30)[:40]
    if len(value) < 20:
        raise bad_request("API Key value should be at least 20 characters")
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        if ns.get("apikey-value", value) is not None:
            raise conflict("API Key already exists")
        key = {"id": new_id(), "value": value, "name": params.get("name") or "", "description": params.get("description"),
               "enabled": bool(params.get("enabled")), "createdDate": ctx.now, "lastUpdatedDate": ctx.now,
               "stageKeys": [f"{s['restApiId']}/{s['stageName']}" for s in params.get("stageKeys") or ()],
               "customerId": params.get("customerId"), "tags": params.get("tags") or {}}
        ns.put("apikey", key["id"], key)
        ns.put("apikey-value", value, {"id": key["id"]})  # keyed requests find their key by value
    return {**_key_view(key, True), "__status__": 201}


def _api_key(ctx, key_id: str) -> dict:
    key = ctx.namespace().get("apikey", key_id)
    if key is None:
        raise not_found("Invalid API Key identifier specified")
    return key


def get_api_key(ctx, params: dict) -> dict:
    return _key_view(_api_key(ctx, params["apiKey"]), bool(params.get("includeValue")))


def get_api_keys(ctx, params: dict) -> dict:
    keys = [k for _, k in ctx.namespace().list("apikey")]
    if params.get("nameQuery"):
        keys = [k for k in keys if k["name"].startswith(params["nameQuery"])]
    keys.sort(key=lambda k: k["createdDate"])
    return page([_key_view(k, bool(params.get("includeValues"))) for k in keys], params)


def update_api_key(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        key = _api_key(ctx, params["apiKey"])
        patch.apply(key, params.get("patchOperations"), {"name", "description", "enabled", "customerId", "stageKeys"})
        key["lastUpdatedDate"] = ctx.now
        ctx.namespace().put("apikey", key["id"], key)
    return _key_view(key, False)


def delete_api_key(ctx, params: dict) -> dict:
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        key = _api_key(ctx, params["apiKey"])
        ns.delete("apikey", params["apiKey"])
        ns.delete("apikey-value", key["value"])
        for name, _ in ns.list("usageplankey"):
            if name.endswith("/" + params["apiKey"]):
                ns.delete("usageplankey", name)
    return {"__status__": 202}


def find_key_by_value(ns, value: str) -> dict | None:
    entry = ns.get("apikey-value", value)
    return ns.get("apikey", entry["id"]) if entry else None


# -- usage plans -------------------------------------------------------------------------------

def _check_limits(ctx, plan: dict) -> None:
    quota = plan.get("quota")
    if quota:
        if quota.get("period") not in _PERIODS:
            raise bad_request("Invalid quota period specified. Valid options are DAY, WEEK, MONTH")
        if quota.get("limit", 0) < 0:
            raise bad_request("Quota limit should be a non-negative integer")
    throttle = plan.get("throttle")
    if throttle and (throttle.get("burstLimit", 0) < 0 or throttle.get("rateLimit", 0) < 0):
        raise bad_request("Throttle limits should be non-negative")
    for stage in plan.get("apiStages") or ():
        load_api(ctx, stage["apiId"])
        if ctx.namespace().get("stage", f"{stage['apiId']}/{stage['stage']}") is None:
            raise not_found(f"Invalid stage identifier specified {stage['apiId']}/{stage['stage']}")


def create_usage_plan(ctx, params: dict) -> dict:
    plan = {"id": new_id(6), "name": params["name"], "description": params.get("description"),
            "apiStages": params.get("apiStages") or [], "throttle": params.get("throttle"),
            "quota": params.get("quota"), "tags": params.get("tags") or {}}
    _check_limits(ctx, plan)
    ctx.namespace().put("usageplan", plan["id"], plan)
    return {**{k: v for k, v in plan.items() if v is not None}, "__status__": 201}


def _plan(ctx, plan_id: str) -> dict:
    plan = ctx.namespace().get("usageplan", plan_id)
    if plan is None:
        raise not_found("Invalid Usage Plan ID specified")
    return plan


def get_usage_plan(ctx, params: dict) -> dict:
    return {k: v for k, v in _plan(ctx, params["usagePlanId"]).items() if v is not None}


def get_usage_plans(ctx, params: dict) -> dict:
    plans = [p for _, p in ctx.namespace().list("usageplan")]
    if params.get("keyId"):
        ns = ctx.namespace()
        plans = [p for p in plans if ns.get("usageplankey", f"{p['id']}/{params['keyId']}") is not None]
    return page([{k: v for k, v in p.items() if v is not None} for p in plans], params)


def update_usage_plan(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        plan = _plan(ctx, params["usagePlanId"])
        for op in params.get("patchOperations") or ():
            if op.get("path") == "/apiStages" and op.get("op") in ("add", "remove"):
                api_id, _, stage = (op.get("value") or "").partition(":")
                entry = {"apiId": api_id, "stage": stage}
                if op["op"] == "add":
                    plan["apiStages"].append(entry)
                else:
                    plan["apiStages"] = [s for s in plan["apiStages"] if s != entry]
            else:
                patch.apply(plan, [op], {"name", "description", "throttle", "quota", "productCode"})
        _check_limits(ctx, plan)
        ctx.namespace().put("usageplan", plan["id"], plan)
    return {k: v for k, v in plan.items() if v is not None}


def delete_usage_plan(ctx, params: dict) -> dict:
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        _plan(ctx, params["usagePlanId"])
        ns.delete("usageplan", params["usagePlanId"])
        for name, _ in ns.list("usageplankey", params["usagePlanId"] + "/"):
            ns.delete("usageplankey", name)
    return {"__status__": 202}


def _plan_key_view(key: dict) -> dict:
    return {"id": key["id"], "type": "API_KEY", "value": key["value"], "name": key["name"]}


def create_usage_plan_key(ctx, params: dict) -> dict:
    if params["keyType"] != "API_KEY":
        raise bad_request("Invalid key type specified")
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        plan = _plan(ctx, params["usagePlanId"])
        key = _api_key(ctx, params["keyId"])
        if ns.get("usageplankey", f"{plan['id']}/{key['id']}") is not None:
            raise conflict(f"Usage Plan {plan['id']} cannot be added because API Key {key['id']} cannot be associated "
                           "with more than one Usage Plan with the same stage")
        ns.put("usageplankey", f"{plan['id']}/{key['id']}", {"keyId": key["id"]})
    return {**_plan_key_view(key), "__status__": 201}


def get_usage_plan_key(ctx, params: dict) -> dict:
    _plan(ctx, params["usagePlanId"])
    if ctx.namespace().get("usageplankey", f"{params['usagePlanId']}/{params['keyId']}") is None:
        raise not_found("Invalid Usage Plan Key identifier specified")
    return _plan_key_view(_api_key(ctx, params["keyId"]))


def get_usage_plan_keys(ctx, params: dict) -> dict:
    _plan(ctx, params["usagePlanId"])
    ns = ctx.namespace()
    items = []
    for _, entry in ns.list("usageplankey", params["usagePlanId"] + "/"):
        key = ns.get("apikey", entry["keyId"])
        if key is not None:
            items.append(_plan_key_view(key))
    return page(items, params)


def delete_usage_plan_key(ctx, params: dict) -> dict:
    _plan(ctx, params["usagePlanId"])
    if not ctx.namespace().delete("usageplankey", f"{params['usagePlanId']}/{params['keyId']}"):
        raise not_found("Invalid Usage Plan Key identifier specified")
    return {"__status__": 202}


def plans_for(ns, api_id: str, stage: str, key_id: str) -> list[dict]:
    """The usage plans that attach this key to this stage."""
    out = []
    for _, plan in ns.list("usageplan"):
        if any(s["apiId"] == api_id and s["stage"] == stage for s in plan.get("apiStages") or ()):
            if ns.get("usageplankey", f"{plan['id']}/{key_id}") is not None:
                out.append(plan)
    return out


def get_usage(ctx, params: dict) -> dict:
    """Requests per day of each key of the plan between startDate and endDate, as
    [used, remaining] pairs (remaining against the plan's quota, when it has one)."""
    from datetime import date, timedelta

    plan = _plan(ctx, params["usagePlanId"])
    try:
        first, last = date.fromisoformat(params["startDate"]), date.fromisoformat(params["endDate"])
    except ValueError:
        raise bad_request("Invalid date format: expected yyyy-MM-dd") from None
    if last < first or (last - first).days > 90:
        raise bad_request("The usage data date range must be within 90 days")
    limit = (plan.get("quota") or {}).get("limit")
    ns = ctx.namespace()
    items = {}
    for name, usage in ns.list("usage", plan["id"] + "/"):
        key_id = name.split("/", 1)[1]
        if params.get("keyId") and key_id != params["keyId"]:
            continue
        days = usage.get("days") or {}
        period = usage.get("period")
        rows = []
        day = first
        while day <= last:
            used = days.get(day.isoformat(), 0)
            # Remaining is the quota left in the period: the live counter for the current one.
            counted = usage.get("used", used) if period is not None and period.date() <= day else used
            rows.append([used, max(limit - counted, 0) if limit is not None else 0])
            day += timedelta(days=1)
        items[key_id] = rows
    return {"usagePlanId": plan["id"], "startDate": params["startDate"], "endDate": params["endDate"],
            "items": items}


def period_start(now, period: str, offset: int = 0):
    """The start of the quota period that `now` falls in."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "WEEK":
        day -= timedelta(days=day.weekday())
    elif period == "MONTH":
        day = day.replace(day=1)
    return day + timedelta(days=offset or 0)


def import_api_keys(ctx, params: dict) -> dict:
    """API keys from a CSV file (header: name, key, description, enabled, usageplanIds; case and
    order free), each optionally attached to usage plans."""
    import csv
    import io

    if params.get("format") != "csv":
        raise bad_request("Invalid format specified. Valid options are csv")
    text = bytes(params.get("body") or b"").decode("utf-8", "replace")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise bad_request("Invalid API Key CSV: the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "key" not in header:
        raise bad_request("Invalid API Key CSV header: a 'key' column is required")
    ids, warnings = [], []
    for number, row in enumerate(rows[1:], start=2):
        fields = dict(zip(header, (value.strip() for value in row)))
        if not fields.get("key"):
            warnings.append(f"Line {number}: no key value, skipped")
            continue
        try:
            created = create_api_key(ctx, {"name": fields.get("name") or fields["key"][:8], "value": fields["key"],
                                           "description": fields.get("description") or None,
                                           "enabled": (fields.get("enabled") or "true").lower() == "true"})
            for plan_id in filter(None, (fields.get("usageplanids") or "").split(":")):
                create_usage_plan_key(ctx, {"usagePlanId": plan_id, "keyId": created["id"], "keyType": "API_KEY"})
        except ServiceError as exc:
            if params.get("failOnWarnings"):
                raise
            warnings.append(f"Line {number}: {exc.message}")
            continue
        ids.append(created["id"])
    return {"ids": ids, "warnings": warnings, "__status__": 201}


def update_usage(ctx, params: dict) -> dict:
    """Grant a key more (or less) of its quota for the current period: /remaining replaced."""
    plan = _plan(ctx, params["usagePlanId"])
    _api_key(ctx, params["keyId"])
    limit = (plan.get("quota") or {}).get("limit")
    name = f"{plan['id']}/{params['keyId']}"
    with ctx.runtime.store.transaction():
        usage = ctx.namespace().get("usage", name) or {"days": {}, "used": 0}
        quota = plan.get("quota") or {}
        start = period_start(ctx.now, quota.get("period", "DAY"), quota.get("offset", 0))
        if usage.get("period") != start:
            usage["period"], usage["used"] = start, 0
        for op in params.get("patchOperations") or ():
            if op.get("path") != "/remaining" or op.get("op") != "replace" or not str(op.get("value", "")).isdigit():
                raise bad_request("Invalid patch: only 'replace /remaining' with a number is supported")
            if limit is None:
                raise bad_request("The usage plan has no quota")
            usage["used"] = max(limit - int(op["value"]), 0)
        ctx.namespace().put("usage", name, usage)
    today = ctx.now.strftime("%Y-%m-%d")
    return get_usage(ctx, {"usagePlanId": plan["id"], "keyId": params["keyId"], "startDate": today, "endDate": today})
