"""What the CloudWatch Logs modules share: errors, name rules, ARNs, paging tokens, the store keys.

Store layout (one namespace per account and region):
  group          <group>                      the log group record
  stream         <group>:<stream>             the stream record (':' is allowed in neither name)
  events         <group>:<stream>:<chunk>     one PutLogEvents batch: [[id, ts, ingestion, message]...]
  subscription   <group>:<filter>             subscription filters
  metric-filter  <group>:<filter>             metric filters
  metric-data    <namespace>:<metric>         data points counted while CloudWatch is not there
  query          <query id>                   Logs Insights queries and their results
"""

from __future__ import annotations

import base64
import json
import re

from pocketcloud.protocol.errors import ServiceError

GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
# AWS allows these retention values and no others.
RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                            2192, 2557, 2922, 3288, 3653})
GROUP_CLASSES = ("STANDARD", "INFREQUENT_ACCESS", "DELIVERY")
DAY_MS = 86_400_000


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def now_ms(ctx) -> int:
    return int(ctx.runtime.clock.time() * 1000)


def check_group_name(name: str, member: str = "logGroupName") -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 512 or not GROUP_NAME.fullmatch(name):
        raise invalid(f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy "
                      "constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")


def check_stream_name(name: str) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 512 or ":" in name or "*" in name:
        raise invalid(f"1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy "
                      "constraint: Member must satisfy regular expression pattern: [^:*]*")


def group_arn(ctx, name: str) -> str:
    return f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{name}"


def group_name_of(ctx, params: dict, required: bool = True) -> str | None:
    """The group a request names, by logGroupName or logGroupIdentifier (a name or an ARN)."""
    name = params.get("logGroupName")
    ident = params.get("logGroupIdentifier")
    if name and ident:
        raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if ident:
        if ident.startswith("arn:"):
            parts = ident.split(":")
            if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
                raise invalid(f"Invalid log group identifier: {ident}")
            if parts[4] != ctx.account or parts[3] != ctx.region:
                raise not_found("The specified log group does not exist.")
            name = parts[6]
        else:
            name = ident
    if not name:
        if required:
            raise invalid("Either logGroupName or logGroupIdentifier must be provided.")
        return None
    return name


def load_group(ctx, name: str) -> dict:
    group = ctx.namespace("logs").get("group", name)
    if group is None:
        raise not_found("The specified log group does not exist.")
    return group


def load_stream(ctx, group: str, stream: str) -> dict:
    record = ctx.namespace("logs").get("stream", f"{group}:{stream}")
    if record is None:
        raise not_found("The specified log stream does not exist.")
    return record


def encode_token(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def decode_token(token: str):
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise invalid("The specified nextToken is invalid.") from None


def page(items: list, params: dict, default_limit: int, token_key: str = "nextToken") -> tuple[list, str | None]:
    """One page of an ordered list, by offset in an opaque token."""
    limit = params.get("limit") or default_limit
    start = 0
    if params.get(token_key):
        start = decode_token(params[token_key])
        if not isinstance(start, int) or start < 0:
            raise invalid("The specified nextToken is invalid.")
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    return chunk, (encode_token(start + limit) if more else None)


def put_group_filter(ctx, kind: str, record: dict, most: int) -> None:
    """PutSubscriptionFilter and PutMetricFilter: create or replace a named filter of a group,
    with at most `most` filters per group."""
    group, name = record["logGroupName"], record["filterName"]
    ns = ctx.namespace("logs")
    with ns.store.transaction():
        load_group(ctx, group)
        existing = ns.list(kind, f"{group}:")
        if len(existing) >= most and all(f["filterName"] != name for _, f in existing):
            raise ServiceError("LimitExceededException", "Resource limit exceeded.", 400)
        ns.put(kind, f"{group}:{name}", record)


def delete_group_filter(ctx, kind: str, params: dict, what: str) -> dict:
    """DeleteSubscriptionFilter and DeleteMetricFilter: a filter of an existing group, by name."""
    group = params["logGroupName"]
    load_group(ctx, group)
    if not ctx.namespace("logs").delete(kind, f"{group}:{params['filterName']}"):
        raise not_found(f"The specified {what} does not exist.")
    return {}


def listed(key: str, items: list, params: dict, default_limit: int = 50) -> dict:
    """A Describe* answer: one page of items under `key`, and nextToken when there is more."""
    chunk, token = page(items, params, default_limit)
    out = {key: chunk}
    if token:
        out["nextToken"] = token
    return out
