"""Routing an event on a bus to the rules it matches, and delivering it to their targets through
the target services' own operations (in-process): SQS SendMessage (FIFO: the target's
MessageGroupId, the event id as deduplication id), SNS Publish, Lambda Invoke (asynchronous),
CloudWatch Logs PutLogEvents (one stream per event, named by its id, as EventBridge writes them),
and another event bus (the event goes on as it is, at most MAX_HOPS buses deep).

A delivery that fails goes to the target's dead-letter queue at once, with AWS's attributes
(RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS): pocketcloud's targets fail
only for lasting reasons (no such queue, function or log group; a refused message), which
retrying for the RetryPolicy's 24 hours would not change, so no retries are made.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from pocketcloud.core import patterns
from pocketcloud.protocol.errors import ServiceError

from . import transform
from .common import SERVICE, parse_arn, parse_bus_arn, rule_key

log = logging.getLogger("pocketcloud.events")

MAX_HOPS = 5
TARGET_SERVICES = ("sqs", "sns", "lambda", "logs", "events")


class DeliveryFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@lru_cache(maxsize=4096)
def parsed_pattern(text: str) -> dict:
    return json.loads(text)


def rule_matches(rule: dict, event: dict) -> bool:
    if rule.get("State", "ENABLED") != "ENABLED" or not rule.get("EventPattern"):
        return False
    return patterns.matches(parsed_pattern(rule["EventPattern"]), event, patterns.EVENTBRIDGE)


async def route(runtime, account: str, region: str, bus: str, event: dict, hops: int = 0) -> int:
    """Deliver an event put on a bus to the targets of every rule it matches; how many rules."""
    store = runtime.store
    matched = 0
    for _, rule in store.list(SERVICE, account, region, "rule", rule_key(bus, "")):
        if rule_matches(rule, event):
            matched += 1
            await deliver_to_targets(runtime, account, region, rule, event, hops)
    return matched


async def deliver_to_targets(runtime, account: str, region: str, rule: dict, event: dict, hops: int = 0) -> None:
    targets = runtime.store.list(SERVICE, account, region, "target", rule_key(rule["EventBusName"], rule["Name"]) + "|")
    for _, target in targets:
        try:
            await _deliver(runtime, account, region, rule, target, event, hops)
        except DeliveryFailed as exc:
            log.info("event %s not delivered to %s: %s %s", event.get("id"), target["Arn"], exc.code, exc.message)
            await _dead_letter(runtime, rule, target, event, exc)
        except Exception:  # a bug in one delivery must not stop the others
            log.exception("event delivery to %s failed", target["Arn"])


async def _deliver(runtime, account, region, rule, target, event, hops) -> None:
    arn = target["Arn"]
    service, target_region, target_account, resource = parse_arn(arn)
    call = runtime.providers.call
    try:
        if service == "events":
            if hops >= MAX_HOPS:
                raise DeliveryFailed("InternalException", "The event went through too many event buses.")
            bus_region, bus_account, name = parse_bus_arn(arn)
            await route(runtime, bus_account, bus_region, name, event, hops + 1)
            return
        body = transform.payload(target, event, rule)
        if service == "sqs":
            from pocketcloud.services.sqs import queue_url_from_arn

            params = {"QueueUrl": queue_url_from_arn(arn), "MessageBody": body}
            if resource.endswith(".fifo"):
                params["MessageGroupId"] = (target.get("SqsParameters") or {}).get("MessageGroupId") or "default"
                params["MessageDeduplicationId"] = event["id"]
            await call("sqs", "SendMessage", params, target_account, target_region)
        elif service == "sns":
            await call("sns", "Publish", {"TopicArn": arn, "Message": body}, target_account, target_region)
        elif service == "lambda":
            await call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                            "Payload": body.encode()}, target_account, target_region)
        elif service == "logs":
            await _to_log_group(call, resource, event, body, target_account, target_region, runtime)
        else:
            raise DeliveryFailed("InvalidTarget", f"Targets of service {service} are not supported.")
    except ServiceError as exc:
        raise DeliveryFailed(exc.code, exc.message) from None
    except LookupError as exc:
        raise DeliveryFailed("InternalException", str(exc)) from None


def log_group_of(resource: str) -> str:
    """`log-group:<name>` or `log-group:<name>:*` -> name."""
    name = resource.split(":", 1)[1] if resource.startswith("log-group:") else resource
    return name[:-2] if name.endswith(":*") else name


async def _to_log_group(call, resource, event, body, account, region, runtime) -> None:
    group = log_group_of(resource)
    stream = event["id"]
    try:
        await call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream}, account, region)
    except ServiceError as exc:
        if exc.code != "ResourceAlreadyExistsException":
            raise
    timestamp = int(runtime.clock.time() * 1000)
    await call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream,
                                        "logEvents": [{"timestamp": timestamp, "message": body}]}, account, region)


async def _dead_letter(runtime, rule: dict, target: dict, event: dict, failure: DeliveryFailed) -> None:
    queue = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not queue:
        return
    parts = parse_arn(queue)
    if parts is None or parts[0] != "sqs":
        return
    from pocketcloud.services.sqs import queue_url_from_arn

    def attribute(value: str) -> dict:
        return {"DataType": "String", "StringValue": value[:1024] or "-"}

    attributes = {"RULE_ARN": attribute(rule["Arn"]), "TARGET_ARN": attribute(target["Arn"]),
                  "ERROR_CODE": attribute(failure.code), "ERROR_MESSAGE": attribute(failure.message),
                  "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": "0"}}
    params = {"QueueUrl": queue_url_from_arn(queue), "MessageBody": json.dumps(event),
              "MessageAttributes": attributes}
    if parts[3].endswith(".fifo"):
        params.update(MessageGroupId=rule["Name"], MessageDeduplicationId=event["id"])
    try:
        await runtime.providers.call("sqs", "SendMessage", params, parts[2], parts[1])
    except (ServiceError, LookupError) as exc:
        log.info("event %s not sent to dead-letter queue %s: %s", event.get("id"), queue, exc)
