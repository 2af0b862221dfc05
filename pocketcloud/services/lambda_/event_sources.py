"""Event source mappings: SQS queues polled for a function.

Each enabled SQS mapping has a poller (an asyncio task) that receives up to BatchSize messages
(waiting up to MaximumBatchingWindowInSeconds to fill a batch), invokes the function
synchronously with AWS's SQS event, deletes the batch on success — all but the items listed in
a partial batch response when ReportBatchItemFailures is on — and leaves failed messages to the
queue's visibility timeout and redrive policy, as AWS does. Everything goes through
providers.call("sqs", ...), so it works with pocketcloud's SQS whenever it is there.

Mappings are kind "esm" (UUID) in the function's namespace, indexed in ("lambda", "_", "_",
kind "esm") so pollers restart with the server whatever account they belong to. Other event
source types (Kinesis, DynamoDB streams, Kafka...) are recorded but not polled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from datetime import datetime, timezone

from ...core.store import Namespace
from ...protocol.errors import ServiceError
from .async_invoke import queue_url
from .filters import matches, parse_criteria, sqs_view
from .functions import load_latest, paginate
from .names import function_arn, invalid, not_found, resolve

log = logging.getLogger("pocketcloud.lambda")

IDLE_POLL_SECONDS = 0.5
_SQS_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_.-]{1,80}$")
_UPDATABLE = ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria",
              "ScalingConfig", "DestinationConfig", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
              "BisectBatchOnFunctionError")


class Mappings:
    def __init__(self, provider):
        self.provider = provider
        self.runtime = provider.runtime
        self.index = Namespace(self.runtime.store, "lambda", "_", "_")
        self.pollers: dict[str, asyncio.Task] = {}

    def start(self) -> None:
        for mapping_id, where in self.index.list("esm"):
            record = self._ns(where).get("esm", mapping_id)
            if record is not None and record["State"] == "Enabled":
                self._start_poller(mapping_id, where)

    def _ns(self, where: dict) -> Namespace:
        return Namespace(self.runtime.store, "lambda", where["account"], where["region"])

    def _start_poller(self, mapping_id: str, where: dict) -> None:
        if not mapping_id or mapping_id in self.pollers or self.provider.loop is None:
            return
        record = self._ns(where).get("esm", mapping_id)
        if record is None or not record["EventSourceArn"].startswith("arn:aws:sqs:"):
            return
        task = self.provider.loop.create_task(self._poll(mapping_id, where))
        self.pollers[mapping_id] = task
        task.add_done_callback(lambda t: self.pollers.pop(mapping_id, None))

    def stop_poller(self, mapping_id: str) -> None:
        task = self.pollers.pop(mapping_id, None)
        if task is not None:
            task.cancel()

    def forget_function(self, ns, name: str) -> None:
        arn = function_arn(ns.region, ns.account, name)
        for mapping_id, record in ns.list("esm"):
            if record["FunctionArn"] == arn or record["FunctionArn"].startswith(arn + ":"):
                self.stop_poller(mapping_id)
                ns.delete("esm", mapping_id)
                self.index.delete("esm", mapping_id)

    # -- the poller ----------------------------------------------------------------------------
    async def _poll(self, mapping_id: str, where: dict) -> None:
        ns = self._ns(where)
        url = None
        while True:
            record = ns.get("esm", mapping_id)
            if record is None or record["State"] != "Enabled":
                return
            try:
                if url is None:
                    url = await queue_url(self.runtime, record["EventSourceArn"])
                batch = await self._receive(record, url)
                if not batch:
                    await asyncio.sleep(IDLE_POLL_SECONDS)
                    continue
                await self._deliver(ns, record, url, batch)
            except asyncio.CancelledError:
                raise
            except (LookupError, ServiceError) as exc:
                # SQS not there (yet), queue deleted, function throttled...: retry quietly.
                log.debug("event source mapping %s: %s", mapping_id, exc)
                url = None
                await asyncio.sleep(IDLE_POLL_SECONDS * 4)
            except Exception:
                log.exception("event source mapping %s failed", mapping_id)
                await asyncio.sleep(IDLE_POLL_SECONDS * 4)

    async def _receive(self, record: dict, queue_url: str) -> list[dict]:
        loop = asyncio.get_running_loop()
        size = record["BatchSize"]
        deadline = loop.time() + record.get("MaximumBatchingWindowInSeconds", 0)
        account, region = _owner(record["EventSourceArn"])
        batch: list[dict] = []
        while len(batch) < size:
            result = await self.runtime.providers.call("sqs", "ReceiveMessage", {
                "QueueUrl": queue_url, "MaxNumberOfMessages": min(10, size - len(batch)),
                "AttributeNames": ["All"], "MessageSystemAttributeNames": ["All"],
                "MessageAttributeNames": ["All"], "WaitTimeSeconds": 0}, account, region)
            messages = result.get("Messages") or []
            batch += messages
            if loop.time() >= deadline or (not messages and not batch):
                break
            if not messages:
                await asyncio.sleep(min(0.2, max(deadline - loop.time(), 0)))
        return batch

    async def _deliver(self, ns, record: dict, queue_url: str, batch: list[dict]) -> None:
        from .invoke import run, select

        name, qualifier = _function_of(record["FunctionArn"])
        latest, config, invoked = select(ns, name, qualifier)
        arn = record["EventSourceArn"]
        records = [sqs_record(message, arn) for message in batch]
        patterns = parse_criteria(record.get("FilterCriteria"))
        wanted = [r for r in records if matches(patterns, sqs_view(r))]
        failed: set[str] = set()
        if wanted:
            event = {"Records": wanted}
            outcome = await run(self.provider, ns, latest, config, json.dumps(event).encode(), invoked)
            if outcome.kind == "error":
                # The batch becomes visible again after the visibility timeout; messages the
                # filter dropped are deleted all the same, as AWS does.
                failed = {r["messageId"] for r in wanted}
            elif "ReportBatchItemFailures" in (record.get("FunctionResponseTypes") or ()):
                failed = _batch_item_failures(outcome.payload, {r["messageId"] for r in wanted})
        done = [m for m in batch if m["MessageId"] not in failed]
        account, region = _owner(arn)
        for start in range(0, len(done), 10):
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])]
            await self.runtime.providers.call("sqs", "DeleteMessageBatch", {"QueueUrl": queue_url, "Entries": entries},
                                              account, region)

    # -- operations ----------------------------------------------------------------------------
    async def create(self, ctx, params: dict) -> dict:
        ns, name, qualifier = resolve(ctx, params["FunctionName"])
        load_latest(ns, name)
        source = params.get("EventSourceArn") or ""
        is_sqs = source.startswith("arn:aws:sqs:")
        if is_sqs and not _SQS_ARN.match(source):
            raise invalid(f"Invalid SQS queue ARN: {source}")
        size = params.get("BatchSize") or (10 if is_sqs else 100)
        window = params.get("MaximumBatchingWindowInSeconds", 0)
        _check_batching(is_sqs, size, window)
        parse_criteria(params.get("FilterCriteria"))
        if is_sqs:
            try:
                await queue_url(self.runtime, source)
            except ServiceError:
                raise invalid(f"Error occurred while ReceiveMessage. SQS Error Code: "
                              f"AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue "
                              f"does not exist ({source})") from None
            except LookupError:
                pass
        mapping_id = str(uuid.uuid4())
        enabled = params.get("Enabled", True)
        record = {"UUID": mapping_id, "EventSourceArn": source, "BatchSize": size,
                  "MaximumBatchingWindowInSeconds": window,
                  "FunctionArn": function_arn(ns.region, ns.account, name, qualifier),
                  "LastModified": datetime.fromtimestamp(self.runtime.clock.time(), timezone.utc),
                  "State": "Enabled" if enabled else "Disabled", "StateTransitionReason": "USER_INITIATED",
                  "EventSourceMappingArn": f"arn:aws:lambda:{ns.region}:{ns.account}:event-source-mapping:{mapping_id}",
                  "FunctionResponseTypes": params.get("FunctionResponseTypes") or []}
        if not is_sqs:
            record["LastProcessingResult"] = "No records processed"
        for key in ("FilterCriteria", "ScalingConfig", "StartingPosition", "DestinationConfig", "MaximumRetryAttempts",
                    "Topics", "Queues"):
            if params.get(key) is not None:
                record[key] = params[key]
        with self.runtime.store.transaction():
            ns.put("esm", mapping_id, record)
            self.index.put("esm", mapping_id, {"account": ns.account, "region": ns.region})
        self._start_poller(mapping_id, {"account": ns.account, "region": ns.region})
        return {**record, "State": "Creating" if enabled else "Disabled", "__status__": 202}

    def _load(self, ctx, mapping_id: str):
        where = self.index.get("esm", mapping_id)
        record = self._ns(where).get("esm", mapping_id) if where else None
        if record is None or where["account"] != ctx.account:
            raise not_found(f"The resource you requested does not exist. (Service: Lambda, Status Code: 404, "
                            f"Request ID: {ctx.request_id})")
        return self._ns(where), where, record

    def get(self, ctx, params: dict) -> dict:
        return self._load(ctx, params["UUID"])[2]

    def update(self, ctx, params: dict) -> dict:
        ns, where, record = self._load(ctx, params["UUID"])
        parse_criteria(params.get("FilterCriteria"))
        for key in _UPDATABLE:
            if key in params:
                record[key] = params[key]
        if params.get("FunctionName"):
            fns, name, qualifier = resolve(ctx, params["FunctionName"])
            load_latest(fns, name)
            record["FunctionArn"] = function_arn(fns.region, fns.account, name, qualifier)
        _check_batching(record["EventSourceArn"].startswith("arn:aws:sqs:"), record["BatchSize"],
                        record.get("MaximumBatchingWindowInSeconds", 0))
        if "Enabled" in params:
            record["State"] = "Enabled" if params["Enabled"] else "Disabled"
        record["LastModified"] = datetime.fromtimestamp(self.runtime.clock.time(), timezone.utc)
        ns.put("esm", params["UUID"], record)
        self.stop_poller(params["UUID"])
        if record["State"] == "Enabled":
            self._start_poller(params["UUID"], where)
        return {**record, "__status__": 202}

    def delete(self, ctx, params: dict) -> dict:
        ns, _, record = self._load(ctx, params["UUID"])
        self.stop_poller(params["UUID"])
        ns.delete("esm", params["UUID"])
        self.index.delete("esm", params["UUID"])
        return {**record, "State": "Deleting", "__status__": 202}

    def list(self, ctx, params: dict) -> dict:
        records = [r for _, r in ctx.namespace("lambda").list("esm")]
        if params.get("EventSourceArn"):
            records = [r for r in records if r["EventSourceArn"] == params["EventSourceArn"]]
        if params.get("FunctionName"):
            ns, name, qualifier = resolve(ctx, params["FunctionName"])
            arn = function_arn(ns.region, ns.account, name, qualifier)
            records = [r for r in records if r["FunctionArn"] == arn]
        return paginate(records, params, "EventSourceMappings")


def _check_batching(is_sqs: bool, size: int, window: int) -> None:
    if is_sqs and size > 10 and not window:
        raise invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
    if is_sqs and size > 10000:
        raise invalid(f"BatchSize must be between 1 and 10000 for SQS event sources: {size}")


def _owner(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[4], parts[3]


def _function_of(arn: str) -> tuple[str, str | None]:
    tail = arn.split(":function:", 1)[1]
    name, _, qualifier = tail.partition(":")
    return name, qualifier or None


def _batch_item_failures(payload: bytes, ids: set[str]) -> set[str]:
    """The message ids a partial batch response names; every id when the response is malformed
    (as AWS treats an invalid response: the whole batch failed)."""
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return ids
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()  # null, {} or an empty list: the whole batch succeeded
    failed = set()
    for item in result["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in ids:
            return ids
        failed.add(identifier)
    return failed


def sqs_record(message: dict, queue_arn: str) -> dict:
    """One SQS message as Lambda hands it to a function."""
    attributes = {}
    for key, value in (message.get("Attributes") or {}).items():
        attributes[key] = str(value)
    message_attributes = {}
    for key, value in (message.get("MessageAttributes") or {}).items():
        converted = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
        if "StringValue" in value:
            converted["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            import base64

            raw = value["BinaryValue"]
            converted["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
        message_attributes[key] = converted
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message.get("Body", ""),
            "attributes": attributes, "messageAttributes": message_attributes,
            "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
            "awsRegion": _owner(queue_arn)[1]}
