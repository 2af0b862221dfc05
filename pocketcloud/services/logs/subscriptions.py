"""Subscription filters: matching events of each PutLogEvents batch go to the destination as AWS
sends them, a gzip'd, base64'd DATA_MESSAGE. Lambda gets {"awslogs": {"data": ...}} through an
asynchronous Invoke; Kinesis and Firehose get the gzip'd JSON as the record data."""

from __future__ import annotations

import base64
import gzip
import json
import logging

from pocketcloud.protocol.errors import ServiceError

from .common import delete_group_filter, invalid, listed, load_group, now_ms, put_group_filter
from .patterns import compile_pattern

log = logging.getLogger("pocketcloud.logs")

MAX_PER_GROUP = 2
KIND = "subscription"


def _destination_service(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise invalid(f"Invalid destinationArn: {arn}")
    return parts[2]


async def put_subscription_filter(ctx, params: dict) -> dict:
    group, name = params["logGroupName"], params["filterName"]
    compile_pattern(params.get("filterPattern") or "")
    destination = params["destinationArn"]
    service = _destination_service(destination)
    distribution = params.get("distribution") or "ByLogStream"
    if distribution not in ("Random", "ByLogStream"):
        raise invalid(f"1 validation error detected: Value '{distribution}' at 'distribution' failed to satisfy "
                      "constraint: Member must satisfy enum value set: [Random, ByLogStream]")
    load_group(ctx, group)
    if service == "lambda":
        await _check_function(ctx, destination)
    record = {"filterName": name, "logGroupName": group, "filterPattern": params.get("filterPattern") or "",
              "destinationArn": destination, "distribution": distribution, "creationTime": now_ms(ctx)}
    if params.get("roleArn"):
        record["roleArn"] = params["roleArn"]
    put_group_filter(ctx, KIND, record, MAX_PER_GROUP)
    return {}


async def _check_function(ctx, arn: str) -> None:
    """AWS refuses a subscription to a function it cannot find."""
    try:
        await ctx.runtime.providers.call("lambda", "GetFunction", {"FunctionName": arn}, ctx.account, ctx.region)
    except LookupError:
        return  # Lambda is not there to ask
    except ServiceError as exc:
        if exc.code == "ResourceNotFoundException":
            raise invalid("Could not execute the lambda function. Make sure you have given CloudWatch Logs "
                          "permission to execute your function.") from None
        raise


def describe_subscription_filters(ctx, params: dict) -> dict:
    group = params["logGroupName"]
    load_group(ctx, group)
    found = [f for _, f in ctx.namespace("logs").list(KIND, f"{group}:{params.get('filterNamePrefix') or ''}")]
    return listed("subscriptionFilters", found, params)


def delete_subscription_filter(ctx, params: dict) -> dict:
    return delete_group_filter(ctx, KIND, params, "subscription filter")


def payload(ctx, group: str, stream: str, names: list[str], rows: list) -> bytes:
    """AWS's subscription message, gzip'd."""
    message = {"messageType": "DATA_MESSAGE", "owner": ctx.account, "logGroup": group, "logStream": stream,
               "subscriptionFilters": names,
               "logEvents": [{"id": r[0], "timestamp": r[1], "message": r[3]} for r in rows]}
    return gzip.compress(json.dumps(message).encode())


async def deliver(ctx, group: str, stream: str, rows: list) -> None:
    """Send a batch's matching events to each of the group's subscription filters."""
    for _, sub in ctx.namespace("logs").list(KIND, f"{group}:"):
        try:
            matcher = compile_pattern(sub["filterPattern"])
        except ServiceError:
            continue
        matched = [r for r in rows if matcher.match(r[3]) is not None]
        if not matched:
            continue
        data = payload(ctx, group, stream, [sub["filterName"]], matched)
        try:
            await _send(ctx, sub["destinationArn"], data, stream)
        except LookupError:
            log.info("subscription %s: %s is not available", sub["filterName"], sub["destinationArn"])
        except Exception:  # a failing destination must not fail the PutLogEvents that fed it
            log.exception("subscription %s could not deliver to %s", sub["filterName"], sub["destinationArn"])


async def _send(ctx, arn: str, data: bytes, stream: str) -> None:
    service = arn.split(":")[2]
    call = ctx.runtime.providers.call
    if service == "lambda":
        body = json.dumps({"awslogs": {"data": base64.b64encode(data).decode()}})
        await call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event", "Payload": body.encode()},
                   ctx.account, ctx.region)
    elif service == "kinesis":
        await call("kinesis", "PutRecord", {"StreamARN": arn, "StreamName": arn.split("/")[-1], "Data": data,
                                            "PartitionKey": stream[:256]}, ctx.account, ctx.region)
    elif service == "firehose":
        await call("firehose", "PutRecord", {"DeliveryStreamName": arn.split("/")[-1], "Record": {"Data": data}},
                   ctx.account, ctx.region)
    else:
        raise LookupError(service)


