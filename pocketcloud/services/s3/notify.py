"""Event notifications: to SQS queues, SNS topics and Lambda functions (through their providers,
in-process) and to EventBridge, in S3's event message format, filtered by event type and key
prefix/suffix; an s3:TestEvent to each queue and topic when a configuration is set."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import os
import time
from datetime import datetime, timezone
from urllib.parse import quote_plus

from ...protocol.errors import ServiceError
from . import errors

log = logging.getLogger("pocketcloud.s3.notify")

EVENTS = frozenset((
    "s3:ReducedRedundancyLostObject", "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:Replication:*",
    "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectAcl:Put", "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete"))
# EventBridge detail-types by event family.
_DETAIL_TYPES = {"ObjectCreated": "Object Created", "ObjectRemoved": "Object Deleted",
                 "ObjectRestore:Post": "Object Restore Initiated", "ObjectRestore:Completed": "Object Restore Completed",
                 "LifecycleTransition": "Object Storage Class Changed", "LifecycleExpiration": "Object Deleted",
                 "ObjectTagging:Put": "Object Tags Added", "ObjectTagging:Delete": "Object Tags Deleted"}
# EventBridge's detail.reason, by event (or family).
_EVENTBRIDGE_REASONS = {"ObjectCreated:Put": "PutObject", "ObjectCreated:Post": "POST Object",
                        "ObjectCreated:Copy": "CopyObject",
                        "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
                        "ObjectRemoved": "DeleteObject", "LifecycleExpiration": "Lifecycle Expiration"}
_KINDS = (("QueueConfigurations", "QueueArn", "sqs"), ("TopicConfigurations", "TopicArn", "sns"),
          ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


def _arn_parts(arn: str) -> tuple[str, str, str]:
    """(region, account, name) of an ARN."""
    parts = arn.split(":", 6)
    if len(parts) < 6 or not parts[3] or not parts[4]:
        raise errors.invalid_argument("The ARN is not well formed", "ARN", arn)
    return parts[3], parts[4], parts[-1]


def _filter(config: dict) -> tuple[str, str]:
    prefix = suffix = ""
    for rule in ((config.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []:
        name = (rule.get("Name") or "").lower()
        if name == "prefix":
            prefix = rule.get("Value") or ""
        elif name == "suffix":
            suffix = rule.get("Value") or ""
        else:
            raise errors.invalid_argument("filter rule name must be either prefix or suffix", "FilterRule.Name",
                                          rule.get("Name"))
    return prefix, suffix


class NotificationOps:
    # -- configuration ------------------------------------------------------------------------------
    async def put_bucket_notification_configuration(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        config = params.get("NotificationConfiguration") or {}
        for field, arn_field, service in _KINDS:
            for item in config.get(field) or []:
                if not item.get("Events"):
                    raise errors.malformed_xml()
                for event in item["Events"]:
                    if event not in EVENTS:
                        raise errors.invalid_argument("The event is not supported for notifications", "Event", event)
                _filter(item)
                _arn_parts(item[arn_field])
                item.setdefault("Id", os.urandom(16).hex())
        if not params.get("SkipDestinationValidation"):
            failed = []
            for field, arn_field, service in _KINDS:
                for item in config.get(field) or []:
                    if not await self._test_event(service, item[arn_field], bucket, ctx.request_id):
                        failed.append(item[arn_field])
            if failed:
                raise ServiceError("InvalidArgument", "Unable to validate the following destination configurations",
                                   400, ArgumentName=failed[0], ArgumentValue="Destination does not exist or "
                                   "permissions are insufficient")
        self._set(params, "notification", config or None)
        return {}

    def get_bucket_notification_configuration(self, ctx, params):
        return dict(self.buckets.require(params["Bucket"]).get("notification") or {})

    async def _test_event(self, service: str, arn: str, bucket: dict, request_id: str) -> bool:
        """Send s3:TestEvent to a queue or topic (Lambda gets none, as in S3); False when the
        destination does not exist. A service pocketcloud does not have yet cannot refuse."""
        if service == "lambda":
            return await self._exists(service, arn)
        body = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": _iso(self.runtime.clock.time()),
                           "Bucket": bucket["name"], "RequestId": request_id, "HostId": request_id})
        try:
            await self._deliver(service, arn, body, "Amazon S3 Notification")
        except LookupError:
            return True
        except ServiceError:
            return False
        return True

    async def _exists(self, service: str, arn: str) -> bool:
        region, account, name = _arn_parts(arn)
        try:
            await self.runtime.providers.call("lambda", "GetFunction", {"FunctionName": arn}, account, region)
        except LookupError:
            return True
        except ServiceError:
            return False
        return True

    async def _deliver(self, service: str, arn: str, body: str, subject: str) -> None:
        region, account, name = _arn_parts(arn)
        call = self.runtime.providers.call
        if service == "sqs":
            url = (await call("sqs", "GetQueueUrl", {"QueueName": name, "QueueOwnerAWSAccountId": account},
                              account, region))["QueueUrl"]
            await call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": body}, account, region)
        elif service == "sns":
            await call("sns", "Publish", {"TopicArn": arn, "Message": body, "Subject": subject}, account, region)
        else:
            await call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                            "Payload": body.encode()}, account, region)

    # -- events -------------------------------------------------------------------------------------
    # Deliveries are durable: an event's rendered messages are written to the store ("pending
    # events") before the request that caused it is answered (for object writes, in the same
    # transaction as the object itself), sent, then deleted. Whatever a crash leaves pending is
    # sent again at start-up: at least once, as S3 does (a redelivery can duplicate a message).
    def notify(self, bucket: dict, event: str, key: str, meta: dict, ctx) -> None:
        """Record then send an event (a bucket nobody listens to costs one dict lookup)."""
        if not bucket.get("notification"):
            return
        pending = self._prepare_event(bucket, event, key, meta, ctx)
        if pending is not None:
            self._pending.put("pending-event", pending["id"], pending)
            self.send_event(pending)

    def index_with_event(self, bucket: dict, key: str, meta: dict, event: str | None, ctx):
        """ObjectOps._index_version, with the event's pending deliveries written in the same
        transaction. Returns (removed versions, pending event or None)."""
        if event is None or not bucket.get("notification"):
            return self._index_version(bucket, key, meta), None
        try:
            with self.runtime.store.transaction():
                removed = self._index_version(bucket, key, meta)
                pending = self._prepare_event(bucket, event, key, meta, ctx)
                if pending is not None:
                    self._pending.put("pending-event", pending["id"], pending)
        except Exception:
            self.index.forget_cached()  # rolled back: cached versions may be unwritten
            raise
        return removed, pending

    def send_event(self, pending: dict | None) -> None:
        """Deliver a recorded event in the background; its record goes once it is delivered."""
        if pending is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (never the case in the server): sent at the next start
        task = loop.create_task(self._send_all(pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def notify_start(self) -> None:
        """Send what a crash or a stop left pending."""
        for _, pending in self._pending.list("pending-event"):
            self.send_event(pending)

    def _prepare_event(self, bucket: dict, event: str, key: str, meta: dict, ctx) -> dict | None:
        """The event's messages, rendered now (the object may change before they are sent); None
        when no configuration wants it."""
        config = bucket["notification"]
        targets = []
        for field, arn_field, service in _KINDS:
            for item in config.get(field) or []:
                prefix, suffix = _filter(item)
                if key.startswith(prefix) and key.endswith(suffix) and \
                        any(fnmatch.fnmatchcase("s3:" + event, pattern) for pattern in item["Events"]):
                    targets.append((service, item[arn_field], item.get("Id", "")))
        bridge = "EventBridgeConfiguration" in config
        if not targets and not bridge:
            return None
        now = self.runtime.clock.time()
        request_id = ctx.request_id if ctx is not None else os.urandom(8).hex().upper()
        deliveries = [[service, arn, json.dumps({"Records": [
            self._record(bucket, event, key, meta, now, request_id, config_id, ctx)]})]
            for service, arn, config_id in targets]
        return {"id": f"{time.time_ns():020d}-{os.urandom(4).hex()}", "event": event, "key": key,
                "deliveries": deliveries,
                "bridge": self._bridge_entry(bucket, event, key, meta, now, request_id, ctx) if bridge else None}

    def _record(self, bucket, event, key, meta, now, request_id, config_id, ctx) -> dict:
        obj = {"key": quote_plus(key, safe="/"), "sequencer": f"{int(now * 1e6):016X}"}
        if event.startswith(("ObjectCreated", "ObjectRestore", "LifecycleTransition", "ObjectTagging")):
            obj.update(size=meta.get("size", 0), eTag=(meta.get("etag") or "").strip('"'))
        if meta.get("version_id") and meta["version_id"] != "null":
            obj["versionId"] = meta["version_id"]
        principal = f"AWS:{ctx.account}" if ctx is not None else "AmazonS3"
        return {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": bucket["region"], "eventTime": _iso(now),
                "eventName": event, "userIdentity": {"principalId": principal},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": request_id},
                "s3": {"s3SchemaVersion": "1.0", "configurationId": config_id,
                       "bucket": {"name": bucket["name"], "ownerIdentity": {"principalId": bucket["owner"]},
                                  "arn": f"arn:aws:s3:::{bucket['name']}"},
                       "object": obj}}

    async def _send_all(self, pending: dict) -> None:
        event, key = pending["event"], pending["key"]
        for service, arn, body in pending["deliveries"]:
            try:
                await self._deliver(service, arn, body, "Amazon S3 Notification")
            except (LookupError, ServiceError) as exc:
                log.info("S3 event %s for %s not delivered to %s: %s", event, key, arn, exc)
            except Exception:
                log.exception("S3 event delivery to %s failed", arn)
        entry = pending.get("bridge")
        if entry is not None:
            entry = dict(entry)
            region, account = entry.pop("__where__")
            try:
                await self.runtime.providers.call("events", "PutEvents", {"Entries": [entry]}, account, region)
            except (LookupError, ServiceError) as exc:
                log.info("S3 event %s not sent to EventBridge: %s", event, exc)
        # Delivered (or refused for good): the record goes, in a commit shared with concurrent PUTs.
        await self.writes.run(lambda: self._pending.delete("pending-event", pending["id"]))

    @staticmethod
    def _bridge_entry(bucket, event, key, meta, now, request_id, ctx) -> dict | None:
        """The event in S3's EventBridge format (detail-type "Object Created", "Object Deleted"...)
        for the bucket owner's default bus (where: "__where__", region and account)."""
        family = event.split(":", 1)[0]
        detail_type = _DETAIL_TYPES.get(event) or _DETAIL_TYPES.get(family)
        if detail_type is None:
            return None
        obj = {"key": key}
        if detail_type != "Object Deleted":
            obj.update(size=meta.get("size", 0), etag=(meta.get("etag") or "").strip('"'))
        if meta.get("version_id") not in (None, "null"):
            obj["version-id"] = meta["version_id"]
        obj["sequencer"] = f"{int(now * 1e6):016X}"
        detail = {"version": "0", "bucket": {"name": bucket["name"]}, "object": obj, "request-id": request_id,
                  "requester": ctx.account if ctx is not None else "s3.amazonaws.com"}
        if ctx is not None:
            detail["source-ip-address"] = "127.0.0.1"
        reason = _EVENTBRIDGE_REASONS.get(event) or _EVENTBRIDGE_REASONS.get(family)
        if reason:
            detail["reason"] = reason
        if detail_type == "Object Deleted":
            detail["deletion-type"] = ("Delete Marker Created" if event.endswith("DeleteMarkerCreated")
                                       else "Permanently Deleted")
        return {"Source": "aws.s3", "DetailType": detail_type, "Detail": json.dumps(detail),
                "Resources": [f"arn:aws:s3:::{bucket['name']}"], "EventBusName": "default",
                "Time": datetime.fromtimestamp(now, timezone.utc), "__where__": [bucket["region"], bucket["owner"]]}
