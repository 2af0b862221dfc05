"""What the EventBridge modules share: the store layout, names and ARNs, AWS's errors, paging.

Store (service "events", per account and region):
  bus     <bus name>                     the bus (the default bus is written the first time it is used)
  rule    <bus name>|<rule name>         the rule
  target  <bus name>|<rule name>|<id>    one target of a rule
and, in the `_global` namespace, kind `schedule`, `<account>|<region>|<rule name>`: every scheduled
rule, so start-up finds them all without scanning every account.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone

from pocketcloud.core.arns import parse_arn  # noqa: F401  (the EventBridge modules import it from here)
from pocketcloud.protocol.errors import ServiceError

SERVICE = "events"
DEFAULT_BUS = "default"
GLOBAL = "_global"
MAX_BUSES = 100          # custom event buses per account and region
MAX_RULES_PER_BUS = 300
MAX_TARGETS_PER_RULE = 5

_RULE_NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
_BUS_NAME = re.compile(r"^[/\.\-_A-Za-z0-9]{1,256}$")
_BUS_ARN = re.compile(r"^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus/([/\.\-_A-Za-z0-9]+)$")


# -- errors ----------------------------------------------------------------------------------------
def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def pattern_error(reason: str) -> ServiceError:
    return ServiceError("InvalidEventPatternException", f"Event pattern is not valid. Reason: {reason}", 400)


def constraint(value, field: str, rule: str) -> ServiceError:
    return validation(f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                      f"constraint: {rule}")


# -- names and ARNs --------------------------------------------------------------------------------
def check_rule_name(name: str, field: str = "name") -> str:
    if not _RULE_NAME.match(name or ""):
        raise constraint(name, field, r"Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+")
    return name


def bus_name(ctx, value: str | None) -> str:
    """The bus a request names (a name or an ARN of this account and region), default when none."""
    if not value:
        return DEFAULT_BUS
    match = _BUS_ARN.match(value)
    if match:
        region, account, name = match.groups()
        if account != ctx.account or region != ctx.region:
            raise not_found(f"Event bus {name} does not exist.")
        return name
    if not _BUS_NAME.match(value):
        raise constraint(value, "eventBusName", r"Member must satisfy regular expression pattern: "
                                                r"[/\.\-_A-Za-z0-9]+")
    return value


def bus_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def rule_arn(account: str, region: str, bus: str, name: str) -> str:
    path = name if bus == DEFAULT_BUS else f"{bus}/{name}"
    return f"arn:aws:events:{region}:{account}:rule/{path}"


def parse_bus_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an event bus ARN."""
    match = _BUS_ARN.match(arn or "")
    return match.groups() if match else None


def rule_key(bus: str, name: str) -> str:
    return f"{bus}|{name}"


# -- records ---------------------------------------------------------------------------------------
def ensure_bus(ctx, name: str) -> dict:
    """The bus record, or ResourceNotFoundException; the default bus always exists."""
    ns = ctx.namespace(SERVICE)
    bus = ns.get("bus", name)
    if bus is None:
        if name != DEFAULT_BUS:
            raise not_found(f"Event bus {name} does not exist.")
        now = ctx.now
        bus = {"Name": name, "Arn": bus_arn(ctx.account, ctx.region, name), "CreationTime": now,
               "LastModifiedTime": now, "Tags": {}}
        ns.put("bus", name, bus)
    return bus


def require_rule(ctx, bus: str, name: str) -> dict:
    rule = ctx.namespace(SERVICE).get("rule", rule_key(bus, name))
    if rule is None:
        raise not_found(f"Rule {name} does not exist on EventBus {bus}.")
    return rule


def tags_out(tags: dict) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]


def iso_time(when: datetime) -> str:
    """Events' `time`: whole seconds, UTC, with a Z."""
    if when.tzinfo is None:  # naive datetimes are UTC in pocketcloud
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- paging ----------------------------------------------------------------------------------------
def page(items: list, params: dict, limit_default: int = 100) -> tuple[list, str | None]:
    """One page of a sorted list by NextToken/Limit (tokens are opaque offsets)."""
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise validation("The nextToken provided is invalid.") from None
    limit = params.get("Limit") or limit_default
    if limit < 1:
        raise constraint(limit, "limit", "Member must have value greater than or equal to 1")
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    return chunk, base64.urlsafe_b64encode(str(start + limit).encode()).decode() if more else None
