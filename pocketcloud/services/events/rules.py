"""Rules: event patterns and schedules on a bus, their state, tags (rules and buses), and
TestEventPattern."""

from __future__ import annotations

import json

from pocketcloud.core import patterns
from pocketcloud.protocol.errors import ServiceError

from . import schedule
from .common import (DEFAULT_BUS, MAX_RULES_PER_BUS, SERVICE, bus_name, check_rule_name, constraint, ensure_bus,
                     not_found, page, pattern_error, require_rule, rule_arn, rule_key, tags_out, validation)

STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def parse_pattern(text: str) -> dict:
    """An event pattern as a dict, or InvalidEventPatternException saying why not."""
    try:
        pattern = json.loads(text)
    except (ValueError, RecursionError):
        raise pattern_error("Filter is not valid JSON") from None
    try:
        patterns.check(pattern, patterns.EVENTBRIDGE)
    except patterns.PatternError as exc:
        raise pattern_error(str(exc)) from None
    return pattern


def _rule_out(rule: dict) -> dict:
    out = {"Name": rule["Name"], "Arn": rule["Arn"], "State": rule["State"], "EventBusName": rule["EventBusName"]}
    for field in ("EventPattern", "ScheduleExpression", "Description", "RoleArn"):
        if rule.get(field):
            out[field] = rule[field]
    return out


def put_rule(ctx, params):
    name = check_rule_name(params["Name"])
    bus = bus_name(ctx, params.get("EventBusName"))
    state = params.get("State") or "ENABLED"
    if state not in STATES:
        raise constraint(state, "state", f"Member must satisfy enum value set: [{', '.join(STATES)}]")
    pattern, expression = params.get("EventPattern"), params.get("ScheduleExpression")
    if not pattern and not expression:
        raise validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if expression:
        if bus != DEFAULT_BUS:
            raise validation("ScheduleExpression is supported only on the default event bus.")
        schedule.parse(expression)
    if pattern:
        parse_pattern(pattern)
    ns = ctx.namespace(SERVICE)
    key = rule_key(bus, name)
    with ctx.runtime.store.transaction():
        ensure_bus(ctx, bus)
        rule = ns.get("rule", key)
        if rule is None:
            if len(ns.list("rule", rule_key(bus, ""))) >= MAX_RULES_PER_BUS:
                raise ServiceError("LimitExceededException",
                                   f"The requested resource exceeds the maximum number allowed ({MAX_RULES_PER_BUS}).",
                                   400)
            rule = {"Name": name, "EventBusName": bus, "Arn": rule_arn(ctx.account, ctx.region, bus, name),
                    "CreatedBy": ctx.account, "Tags": {}}
        restart = expression != rule.get("ScheduleExpression") or (state == "ENABLED") != (rule.get("State") == "ENABLED")
        rule.update(State=state, EventPattern=pattern, ScheduleExpression=expression,
                    Description=params.get("Description"), RoleArn=params.get("RoleArn"))
        rule["Tags"].update({t["Key"]: t["Value"] for t in params.get("Tags") or []})
        if restart or "ScheduleAnchor" not in rule:
            rule["ScheduleAnchor"] = ctx.runtime.clock.time()  # a rate counts from when it was set or enabled
        ns.put("rule", key, rule)
    return {"RuleArn": rule["Arn"]}


def describe_rule(ctx, params):
    bus = bus_name(ctx, params.get("EventBusName"))
    rule = require_rule(ctx, bus, check_rule_name(params["Name"]))
    return {**_rule_out(rule), "CreatedBy": rule.get("CreatedBy", ctx.account)}


def list_rules(ctx, params):
    bus = bus_name(ctx, params.get("EventBusName"))
    ensure_bus(ctx, bus)
    prefix = params.get("NamePrefix") or ""
    rules = [_rule_out(r) for _, r in ctx.namespace(SERVICE).list("rule", rule_key(bus, prefix))]
    chunk, token = page(rules, params)
    return {"Rules": chunk, **({"NextToken": token} if token else {})}


def delete_rule(ctx, params):
    """A rule that is not there is no error; one with targets cannot go."""
    bus = bus_name(ctx, params.get("EventBusName"))
    key = rule_key(bus, check_rule_name(params["Name"]))
    ns = ctx.namespace(SERVICE)
    with ctx.runtime.store.transaction():
        if ns.get("rule", key) is None:
            return {}
        if ns.list("target", key + "|"):
            raise validation("Rule can't be deleted since it has targets.")
        ns.delete("rule", key)
    return {}


def _set_state(ctx, params, state: str) -> dict:
    bus = bus_name(ctx, params.get("EventBusName"))
    with ctx.runtime.store.transaction():
        rule = require_rule(ctx, bus, check_rule_name(params["Name"]))
        if rule["State"] != state:
            rule["State"] = state
            rule["ScheduleAnchor"] = ctx.runtime.clock.time()
            ctx.namespace(SERVICE).put("rule", rule_key(bus, rule["Name"]), rule)
    return {}


def enable_rule(ctx, params):
    return _set_state(ctx, params, "ENABLED")


def disable_rule(ctx, params):
    return _set_state(ctx, params, "DISABLED")


def list_rule_names_by_target(ctx, params):
    bus = bus_name(ctx, params.get("EventBusName"))
    ensure_bus(ctx, bus)
    wanted = params["TargetArn"]
    names = sorted({key.split("|")[1] for key, target in ctx.namespace(SERVICE).list("target", rule_key(bus, ""))
                    if target["Arn"] == wanted})
    chunk, token = page(names, params)
    return {"RuleNames": chunk, **({"NextToken": token} if token else {})}


# -- tags ------------------------------------------------------------------------------------------
def _tagged(ctx, arn: str) -> tuple[str, str, dict]:
    """(kind, store key, record) of the rule or bus an ARN names."""
    prefix = f"arn:aws:events:{ctx.region}:{ctx.account}:"
    resource = arn[len(prefix):] if arn.startswith(prefix) else ""
    if resource.startswith("event-bus/"):
        name = resource[len("event-bus/"):]
        return "bus", name, ensure_bus(ctx, name)
    if resource.startswith("rule/"):
        path = resource[len("rule/"):]
        bus, _, name = path.rpartition("/")
        bus = bus or DEFAULT_BUS
        return "rule", rule_key(bus, name), require_rule(ctx, bus, name)
    raise not_found(f"Resource {arn} does not exist.")


def tag_resource(ctx, params):
    with ctx.runtime.store.transaction():
        kind, key, record = _tagged(ctx, params["ResourceARN"])
        record.setdefault("Tags", {}).update({t["Key"]: t["Value"] for t in params["Tags"]})
        if len(record["Tags"]) > 50:
            raise validation("A resource can have at most 50 tags.")
        ctx.namespace(SERVICE).put(kind, key, record)
    return {}


def untag_resource(ctx, params):
    with ctx.runtime.store.transaction():
        kind, key, record = _tagged(ctx, params["ResourceARN"])
        for tag_key in params["TagKeys"]:
            record.setdefault("Tags", {}).pop(tag_key, None)
        ctx.namespace(SERVICE).put(kind, key, record)
    return {}


def list_tags_for_resource(ctx, params):
    _, _, record = _tagged(ctx, params["ResourceARN"])
    return {"Tags": tags_out(record.get("Tags"))}


# -- TestEventPattern ------------------------------------------------------------------------------
def test_event_pattern(ctx, params):
    pattern = parse_pattern(params["EventPattern"])
    try:
        event = json.loads(params["Event"])
    except (ValueError, RecursionError):
        raise validation("Parameter Event is not valid.") from None
    if not isinstance(event, dict) or any(field not in event for field in _EVENT_FIELDS):
        raise validation("Parameter Event is not valid.")
    return {"Result": patterns.matches(pattern, event, patterns.EVENTBRIDGE)}
