"""Asynchronous invocations (InvocationType=Event): queued in the store so they survive a
restart, run as soon as possible, retried on function errors (MaximumRetryAttempts, default 2,
one then two minutes apart on the virtual clock), then sent to the on-success / on-failure
destinations and the dead-letter queue.

Queued events live in a namespace of their own ("lambda", "_", "_", kind "event") so the
server can find all of them at start-up whatever account and region they belong to.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone

from ...core.store import Namespace
from ...protocol.errors import ServiceError
from .functions import load_latest, paginate
from .names import function_arn, invalid, not_found, resolve

log = logging.getLogger("pocketcloud.lambda")

RETRY_DELAYS = (60.0, 120.0)
DEFAULT_MAX_AGE = 21600
DEFAULT_RETRIES = 2


class EventQueue:
    def __init__(self, provider):
        self.provider = provider
        self.runtime = provider.runtime
        self.queue = Namespace(self.runtime.store, "lambda", "_", "_")
        self.running: set[str] = set()

    def enqueue(self, ns, name: str, qualifier: str | None, payload: bytes, request_id: str | None = None) -> str:
        now = self.runtime.clock.time()
        event_id = request_id or str(uuid.uuid4())
        self.queue.put("event", event_id, {
            "account": ns.account, "region": ns.region, "name": name, "qualifier": qualifier,
            "payload": payload, "attempts": 0, "due": now, "enqueued": now})
        self._kick_soon(event_id)
        return event_id

    def start(self) -> None:
        """Pick up what was queued before a restart."""
        now = self.runtime.clock.time()
        for event_id, record in self.queue.list("event"):
            if record["due"] <= now:
                self._kick_soon(event_id)
            else:
                self.runtime.scheduler.at(record["due"], lambda e=event_id: self._kick_soon(e), "lambda-event")

    def _kick_soon(self, event_id: str) -> None:
        loop = self.provider.loop
        if loop is None:
            return  # no event loop yet: start() picks it up
        loop.call_soon_threadsafe(lambda: loop.create_task(self._process(event_id)))

    async def _process(self, event_id: str) -> None:
        if event_id in self.running:
            return
        self.running.add(event_id)
        try:
            await self._attempt(event_id)
        except Exception:
            log.exception("asynchronous invocation %s failed", event_id)
        finally:
            self.running.discard(event_id)

    async def _attempt(self, event_id: str) -> None:
        from .invoke import run, select

        record = self.queue.get("event", event_id)
        if record is None:
            return
        ns = Namespace(self.runtime.store, "lambda", record["account"], record["region"])
        name, qualifier = record["name"], record["qualifier"]
        try:
            latest, config, invoked = select(ns, name, qualifier)
        except ServiceError:  # the function is gone: so is its queue
            self.queue.delete("event", event_id)
            return
        settings = ns.get("eic", f"{name}:{qualifier or '$LATEST'}") or {}
        now = self.runtime.clock.time()
        try:
            outcome = await run(self.provider, ns, latest, config, record["payload"], invoked)
        except ServiceError:  # throttled: try again later, within the event's maximum age
            if now - record["enqueued"] < settings.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE):
                self._retry_later(event_id, record, now + 60.0)
                return
            outcome = None
        record["attempts"] += 1
        failed = outcome is None or outcome.kind == "error"
        retries = settings.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        max_age = settings.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
        if failed and record["attempts"] <= retries and now - record["enqueued"] < max_age:
            # Counted from when this attempt started, so a clock moved while it ran counts.
            self._retry_later(event_id, record, now + RETRY_DELAYS[min(record["attempts"], len(RETRY_DELAYS)) - 1])
            return
        self.queue.delete("event", event_id)
        destinations = settings.get("DestinationConfig") or {}
        target = (destinations.get("OnFailure") if failed else destinations.get("OnSuccess")) or {}
        if target.get("Destination"):
            document = destination_record(event_id, record, config, invoked, outcome, failed, self.runtime.clock.now())
            await deliver(self.runtime, ns, target["Destination"], json.dumps(document).encode(),
                          "Failure" if failed else "Success")
        if failed and (config.get("DeadLetterConfig") or {}).get("TargetArn"):
            error = _error_message(outcome)
            await dead_letter(self.runtime, ns, config["DeadLetterConfig"]["TargetArn"], record["payload"], event_id,
                              error)

    def _retry_later(self, event_id: str, record: dict, due: float) -> None:
        record["due"] = due
        self.queue.put("event", event_id, record)
        self.runtime.scheduler.at(due, lambda: self._kick_soon(event_id), "lambda-event-retry")


def _error_message(outcome) -> str:
    if outcome is None:
        return "Rate Exceeded."
    try:
        return json.loads(outcome.payload).get("errorMessage", "")
    except (ValueError, AttributeError):
        return ""


def destination_record(event_id: str, record: dict, config: dict, invoked: str, outcome, failed: bool,
                       now: datetime) -> dict:
    try:
        request_payload = json.loads(record["payload"] or b"null")
    except ValueError:
        request_payload = None
    document = {
        "version": "1.0",
        "timestamp": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "requestContext": {"requestId": event_id, "functionArn": invoked if ":" in invoked.split(":function:")[1]
                           else f"{invoked}:$LATEST",
                           "condition": ("RetriesExhausted" if outcome is not None else "EventAgeExceeded")
                           if failed else "Success",
                           "approximateInvokeCount": record["attempts"]},
        "requestPayload": request_payload,
        "responseContext": {"statusCode": 200, "executedVersion": config["Version"]},
    }
    if outcome is not None:
        if outcome.kind == "error":
            document["responseContext"]["functionError"] = "Unhandled"
        try:
            document["responsePayload"] = json.loads(outcome.payload) if outcome.payload else None
        except ValueError:
            document["responsePayload"] = outcome.payload.decode("utf-8", "replace")
    return document


async def queue_url(runtime, arn: str) -> str:
    """The URL of the SQS queue an ARN names, asked of SQS in the queue's own account and region."""
    parts = arn.split(":")
    account, region = parts[4], parts[3]
    result = await runtime.providers.call("sqs", "GetQueueUrl", {"QueueName": parts[5],
                                                                 "QueueOwnerAWSAccountId": account}, account, region)
    return result["QueueUrl"]


async def deliver(runtime, ns, arn: str, body: bytes, condition: str) -> None:
    """Send a destination record to SQS, SNS, Lambda or EventBridge."""
    parts = arn.split(":")
    service = parts[2] if len(parts) > 5 else ""
    account, region = (parts[4], parts[3]) if service else (ns.account, ns.region)
    call = runtime.providers.call
    try:
        if service == "sqs":
            url = await queue_url(runtime, arn)
            await call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": body.decode()}, account, region)
        elif service == "sns":
            await call("sns", "Publish", {"TopicArn": arn, "Message": body.decode()}, account, region)
        elif service == "lambda":
            await call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event", "Payload": body},
                       account, region)
        elif service == "events":
            await call("events", "PutEvents", {"Entries": [{
                "Source": "lambda", "DetailType": f"Lambda Function Invocation Result - {condition}",
                "Detail": body.decode(), "EventBusName": arn}]}, account, region)
        else:
            log.warning("unsupported destination %s", arn)
    except LookupError:
        log.warning("destination %s: that service is not available", arn)
    except ServiceError as exc:
        log.warning("destination %s refused the record: %s", arn, exc)


async def dead_letter(runtime, ns, arn: str, payload: bytes, request_id: str, error: str) -> None:
    attributes = {"RequestID": {"DataType": "String", "StringValue": request_id},
                  "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                  "ErrorMessage": {"DataType": "String", "StringValue": error or "Unhandled"}}
    parts = arn.split(":")
    account, region = parts[4], parts[3]
    try:
        if parts[2] == "sqs":
            url = await queue_url(runtime, arn)
            await runtime.providers.call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": payload.decode(),
                                                                "MessageAttributes": attributes}, account, region)
        elif parts[2] == "sns":
            await runtime.providers.call("sns", "Publish", {"TopicArn": arn, "Message": payload.decode(),
                                                            "MessageAttributes": attributes}, account, region)
    except (LookupError, ServiceError, IndexError) as exc:
        log.warning("dead-letter queue %s: %s", arn, exc)


# -- event invoke configuration ---------------------------------------------------------------
def _eic_key(ctx, params: dict):
    ns, name, qualifier = resolve(ctx, params["FunctionName"], params.get("Qualifier"))
    load_latest(ns, name)
    return ns, name, qualifier or "$LATEST"


def _check_destinations(config: dict | None) -> None:
    for condition in ("OnSuccess", "OnFailure"):
        arn = ((config or {}).get(condition) or {}).get("Destination")
        if arn and arn.split(":")[2:3] not in (["sqs"], ["sns"], ["lambda"], ["events"]):
            raise invalid(f"The destination ARN {arn} is invalid.")


def put_function_event_invoke_config(ctx, params: dict, merge: bool = False) -> dict:
    ns, name, qualifier = _eic_key(ctx, params)
    _check_destinations(params.get("DestinationConfig"))
    record = (ns.get("eic", f"{name}:{qualifier}") or {}) if merge else {}
    if merge and not record:
        raise not_found(f"The function {function_arn(ns.region, ns.account, name, qualifier)} doesn't have an "
                        "EventInvokeConfig")
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
        if key in params:
            record[key] = params[key]
    record.update(FunctionArn=function_arn(ns.region, ns.account, name, qualifier), LastModified=ctx.now)
    record.setdefault("DestinationConfig", {})
    ns.put("eic", f"{name}:{qualifier}", record)
    return record


def get_function_event_invoke_config(ctx, params: dict) -> dict:
    ns, name, qualifier = _eic_key(ctx, params)
    record = ns.get("eic", f"{name}:{qualifier}")
    if record is None:
        raise not_found(f"The function {function_arn(ns.region, ns.account, name, qualifier)} doesn't have an "
                        "EventInvokeConfig")
    return record


def delete_function_event_invoke_config(ctx, params: dict) -> dict:
    ns, name, qualifier = _eic_key(ctx, params)
    get_function_event_invoke_config(ctx, params)
    ns.delete("eic", f"{name}:{qualifier}")
    return {"__status__": 204}


def list_function_event_invoke_configs(ctx, params: dict) -> dict:
    ns, name, _ = _eic_key(ctx, params)
    return paginate([r for _, r in ns.list("eic", f"{name}:")], params, "FunctionEventInvokeConfigs")

