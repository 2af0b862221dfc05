"""Delivering one publication to one subscription, per protocol.

SQS and Lambda are called in-process (`runtime.providers.call`), in the account and region of
the endpoint's ARN. HTTP/HTTPS endpoints get a real POST with AWS's headers; a failed POST is
retried per the effective delivery policy on the virtual clock (retries are persisted, so they
survive a restart). Email, email-json, SMS and platform endpoints are recorded in the outbox.
When delivery fails for good, the message goes to the subscription's dead-letter queue
(RedrivePolicy) if it has one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid

from pocketcloud.core.background import Background
from pocketcloud.protocol.errors import ServiceError

from . import outbox
from .common import global_ns, parse_arn
from .envelope import Signed

log = logging.getLogger("pocketcloud.sns")

RETRY = "retry"
HTTP_TIMEOUT = 15
HTTP_THREADS = 16
USER_AGENT = "Amazon Simple Notification Service Agent"
DEFAULT_EMAIL_SUBJECT = "AWS Notification Message"  # the mail's subject when Publish gives none
# What a subscription's protocol reads from a MessageStructure=json message.
PLATFORM_KEYS = {"APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "MACOS", "MACOS_SANDBOX", "GCM",
                 "ADM", "BAIDU", "MPNS", "WNS"}


class DeliveryFailed(Exception):
    def __init__(self, code: str, message: str, retryable: bool):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retryable = code, message, retryable


class Publication:
    """One published message as every subscription sees it."""

    def __init__(self, topic: dict, message_id: str, messages: dict, subject, attributes: dict, timestamp: str,
                 group_id=None, dedup_id=None, sequence_number=None):
        self.topic, self.message_id, self.messages = topic, message_id, messages
        self.subject, self.attributes, self.timestamp = subject, attributes or {}, timestamp
        self.group_id, self.dedup_id, self.sequence_number = group_id, dedup_id, sequence_number
        self._signed: dict[str, Signed] = {}

    def message_for(self, key: str) -> str:
        return self.messages.get(key, self.messages["default"])

    def signed(self, runtime, key: str) -> Signed:
        message = self.message_for(key)
        found = self._signed.get(message)
        if found is None:
            found = self._signed[message] = Signed(runtime, self, message)
        return found


def sqs_queue_url(runtime, arn: str) -> str:
    try:
        from pocketcloud.services.sqs.urls import queue_url_from_arn

        return queue_url_from_arn(arn, runtime.settings.endpoint)
    except ImportError:  # SQS not there: the URL form it uses
        _, region, account, name = parse_arn(arn)
        return f"{runtime.settings.endpoint}/{account}/{name}"


def sqs_attributes(attributes: dict) -> dict:
    out = {}
    for name, attr in attributes.items():
        entry = {"DataType": attr["DataType"]}
        if attr.get("BinaryValue") is not None:
            entry["BinaryValue"] = attr["BinaryValue"]
        else:
            entry["StringValue"] = attr.get("StringValue", "")
        out[name] = entry
    return out


async def send_to_queue(runtime, queue_arn: str, body: str, attributes: dict | None, group_id=None,
                        dedup_id=None) -> dict:
    """SendMessage to the queue an ARN names, in its own account and region."""
    parts = parse_arn(queue_arn)
    if not parts or parts[0] != "sqs":
        raise DeliveryFailed("InvalidParameter", f"not an SQS queue ARN: {queue_arn}", False)
    _, region, account, name = parts
    params = {"QueueUrl": sqs_queue_url(runtime, queue_arn), "MessageBody": body}
    if attributes:
        params["MessageAttributes"] = attributes
    if name.endswith(".fifo"):
        params["MessageGroupId"] = group_id or "default"
        params["MessageDeduplicationId"] = dedup_id or hashlib.sha256(body.encode()).hexdigest()
    try:
        return await runtime.providers.call("sqs", "SendMessage", params, account, region)
    except ServiceError as exc:
        raise DeliveryFailed(exc.code, exc.message, exc.status >= 500) from None


class Deliverer:
    def __init__(self, runtime):
        self.runtime = runtime
        self.background = Background()
        self._pool = None

    def _http_pool(self):
        """Threads of SNS's own for HTTP POSTs: endpoints that hang (up to the timeout) must not
        starve the default executor other services use."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(HTTP_THREADS, thread_name_prefix="sns-http")
        return self._pool

    # -- background work ------------------------------------------------------------------------
    def spawn(self, coro) -> None:
        """Run a delivery without holding up the request that caused it."""
        self.background.spawn(coro)

    # -- one subscription ------------------------------------------------------------------------
    async def deliver(self, sub: dict, publication: Publication) -> None:
        protocol = sub["Protocol"]
        raw = sub["Attributes"].get("RawMessageDelivery") == "true"
        try:
            if protocol == "sqs":
                body, attributes = self._sqs_body(sub, publication, raw)
                await send_to_queue(self.runtime, sub["Endpoint"], body, attributes,
                                    publication.group_id, publication.dedup_id)
            elif protocol in ("http", "https"):
                request = self._http_request(sub, publication, raw)
                self.start_post(request)
            elif protocol == "lambda":
                self.spawn(self._invoke(sub, publication))
            elif protocol == "application":
                self._push(sub, publication)
            elif protocol == "email-json":
                self._record(sub, publication,
                             publication.signed(self.runtime, "email-json").notification_json(sub["SubscriptionArn"]))
            else:  # email, sms (firehose has no reachable stream here: recorded as well)
                self._record(sub, publication, publication.message_for(protocol))
        except DeliveryFailed as exc:
            log.info("SNS delivery to %s failed: %s", sub["Endpoint"], exc)
            await self.dead_letter(sub, publication, exc)
        except LookupError as exc:  # the target service is not implemented
            log.warning("SNS cannot deliver to %s: %s", sub["Endpoint"], exc)

    def _sqs_body(self, sub: dict, publication: Publication, raw: bool) -> tuple[str, dict | None]:
        if raw:
            return publication.message_for("sqs"), sqs_attributes(publication.attributes) or None
        return publication.signed(self.runtime, "sqs").notification_json(sub["SubscriptionArn"]), None

    def _record(self, sub: dict, publication: Publication, body: str) -> None:
        subject = publication.subject
        if subject is None and sub["Protocol"] in ("email", "email-json"):
            subject = DEFAULT_EMAIL_SUBJECT
        outbox.record(self.runtime, {
            "Protocol": sub["Protocol"], "Endpoint": sub["Endpoint"], "TopicArn": publication.topic["Arn"],
            "SubscriptionArn": sub["SubscriptionArn"], "MessageId": publication.message_id,
            "Subject": subject, "Message": body,
            "MessageAttributes": {k: v.get("StringValue") for k, v in publication.attributes.items()},
        })

    def _push(self, sub: dict, publication: Publication) -> None:
        from .platform import record_push

        try:
            record_push(self.runtime, sub["Endpoint"], publication.messages, publication.subject,
                        publication.attributes, publication.message_id, TopicArn=publication.topic["Arn"],
                        SubscriptionArn=sub["SubscriptionArn"])
        except ServiceError as exc:  # the endpoint was deleted or disabled: a client-side error
            raise DeliveryFailed(exc.code, exc.message, False) from None

    async def _invoke(self, sub: dict, publication: Publication) -> None:
        event = publication.signed(self.runtime, "lambda").lambda_event(sub["SubscriptionArn"])
        parts = parse_arn(sub["Endpoint"])
        try:
            await self.runtime.providers.call(
                "lambda", "Invoke",
                {"FunctionName": sub["Endpoint"], "InvocationType": "Event", "Payload": json.dumps(event).encode()},
                parts[2], parts[1])
        except ServiceError as exc:
            await self.dead_letter(sub, publication, DeliveryFailed(exc.code, exc.message, False))
        except LookupError as exc:
            log.warning("SNS cannot invoke %s: %s", sub["Endpoint"], exc)

    # -- HTTP/HTTPS --------------------------------------------------------------------------------
    def _http_request(self, sub: dict, publication: Publication, raw: bool) -> dict:
        key = sub["Protocol"]
        if raw:
            body = publication.message_for(key)
        else:
            body = publication.signed(self.runtime, key).notification_json(sub["SubscriptionArn"])
        headers = {
            "x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": publication.message_id,
            "x-amz-sns-topic-arn": publication.topic["Arn"], "x-amz-sns-subscription-arn": sub["SubscriptionArn"],
        }
        if raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        policy = effective_http_policy(self.runtime, sub)
        headers["Content-Type"] = policy.get("requestPolicy", {}).get("headerContentType", "text/plain; charset=UTF-8")
        return {"Id": uuid.uuid4().hex, "Url": sub["Endpoint"], "Body": body, "Headers": headers,
                "SubscriptionArn": sub["SubscriptionArn"], "MessageId": publication.message_id,
                "Retry": policy["healthyRetryPolicy"]}

    def start_post(self, request: dict) -> None:
        """The first attempt, recorded first: a delivery acknowledged by Publish is made even if
        the server stops before it is tried (start() finds it again)."""
        global_ns(self.runtime).put(RETRY, f"{request['Id']}.0", {**request, "Attempt": 0,
                                                                   "Due": self.runtime.clock.time()})
        self.spawn(self.post(request, attempt=0))

    async def post(self, request: dict, attempt: int) -> None:
        """One attempt; on failure the next is scheduled, or the message dead-lettered. The
        persisted retry record of this attempt is removed only once its outcome is settled."""
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._http_pool(), http_post, request["Url"], request["Body"].encode(), request["Headers"])
            failure = None
        except DeliveryFailed as exc:
            failure = exc
        if failure is not None:
            delays = retry_delays(request["Retry"])
            if attempt < len(delays):
                self.schedule_retry(request, attempt + 1, self.runtime.clock.time() + delays[attempt])
            else:
                await self._dead_letter_http(request, failure)
        global_ns(self.runtime).delete(RETRY, f"{request['Id']}.{attempt}")

    def schedule_retry(self, request: dict, attempt: int, due: float, persist: bool = True) -> None:
        name = f"{request['Id']}.{attempt}"
        if persist:
            global_ns(self.runtime).put(RETRY, name, {**request, "Attempt": attempt, "Due": due})
        def fire():
            if global_ns(self.runtime).get(RETRY, name) is not None:  # not forgotten by a reset
                self.spawn(self.post(request, attempt))

        self.runtime.scheduler.at(due, fire, f"sns-retry-{name}")

    def resume_retries(self) -> None:
        """Re-register the retries persisted before a restart."""
        for _, record in global_ns(self.runtime).list(RETRY):
            self.schedule_retry(record, record["Attempt"], record["Due"], persist=False)

    async def _dead_letter_http(self, request: dict, failure: DeliveryFailed) -> None:
        from .common import subscription_ns

        if request.get("Confirmation"):
            return  # an unconfirmed subscription has nothing to dead-letter
        _, sub = subscription_ns(self.runtime, request["SubscriptionArn"])
        if sub is None:
            return
        target = _dlq_of(sub)
        if target:
            await self._send_dead_letter(target, request["Body"], request["MessageId"], failure, None, None)

    async def dead_letter(self, sub: dict, publication: Publication, failure: DeliveryFailed) -> None:
        target = _dlq_of(sub)
        if not target:
            return
        protocol = sub["Protocol"] if sub["Protocol"] in ("sqs", "lambda", "http", "https") else "default"
        raw = sub["Attributes"].get("RawMessageDelivery") == "true"
        body = (publication.message_for(protocol) if raw else
                publication.signed(self.runtime, protocol).notification_json(sub["SubscriptionArn"]))
        await self._send_dead_letter(target, body, publication.message_id, failure, publication.group_id,
                                     publication.dedup_id)

    async def _send_dead_letter(self, target: str, body: str, message_id: str, failure: DeliveryFailed,
                                group_id, dedup_id) -> None:
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": message_id},
            "ErrorCode": {"DataType": "String", "StringValue": failure.code},
            "ErrorMessage": {"DataType": "String", "StringValue": failure.message[:1000] or failure.code},
        }
        try:
            await send_to_queue(self.runtime, target, body, attributes, group_id, dedup_id)
        except (DeliveryFailed, LookupError) as exc:
            log.warning("SNS could not dead-letter message %s to %s: %s", message_id, target, exc)


def _dlq_of(sub: dict) -> str | None:
    policy = sub["Attributes"].get("RedrivePolicy")
    if not policy:
        return None
    try:
        return json.loads(policy).get("deadLetterTargetArn")
    except ValueError:
        return None


def http_post(url: str, body: bytes, headers: dict) -> int:
    """POST in a worker thread; DeliveryFailed unless the endpoint answers 2xx."""
    import urllib.error
    import urllib.request  # here, not at import: the provider loads at start-up (retries)

    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={**headers, "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed("HttpError", f"HTTP {exc.code}", True) from None
    except (OSError, ValueError) as exc:
        raise DeliveryFailed("ConnectionError", str(exc) or type(exc).__name__, True) from None


def effective_http_policy(runtime, sub: dict) -> dict:
    """The retry policy of an HTTP/S subscription: its own DeliveryPolicy over its topic's."""
    from .common import get_topic
    from .topics import DEFAULT_HTTP_POLICY, effective_delivery_policy

    try:
        _, topic = get_topic(runtime, sub["TopicArn"])
        section = effective_delivery_policy(topic).get("http", {})
    except ServiceError:
        section = {}
    retry = dict(section.get("defaultHealthyRetryPolicy") or DEFAULT_HTTP_POLICY)
    request_policy = dict(section.get("defaultRequestPolicy") or {})
    own = sub["Attributes"].get("DeliveryPolicy")
    if own and not section.get("disableSubscriptionOverrides"):
        mine = json.loads(own)
        retry.update(mine.get("healthyRetryPolicy") or {})
        request_policy.update(mine.get("requestPolicy") or {})
    return {"healthyRetryPolicy": retry, "requestPolicy": request_policy}


def retry_delays(policy: dict) -> list[float]:
    """The delay before each retry, by AWS's four phases: immediate retries, retries at the
    minimum delay, a backoff from minimum to maximum, retries at the maximum delay."""
    total = int(policy.get("numRetries", 3))
    no_delay = int(policy.get("numNoDelayRetries", 0))
    at_min = int(policy.get("numMinDelayRetries", 0))
    at_max = int(policy.get("numMaxDelayRetries", 0))
    low, high = float(policy.get("minDelayTarget", 20)), float(policy.get("maxDelayTarget", 20))
    backoff = max(0, total - no_delay - at_min - at_max)
    function = policy.get("backoffFunction", "linear")
    delays = [0.0] * no_delay + [low] * at_min
    for i in range(1, backoff + 1):
        fraction = i / backoff
        if function == "exponential" and low > 0:
            delay = low * (high / low) ** fraction
        elif function == "geometric":
            delay = low + (high - low) * fraction ** 3
        elif function == "arithmetic":
            delay = low + (high - low) * fraction ** 2
        else:
            delay = low + (high - low) * fraction
        delays.append(delay)
    return delays + [high] * at_max
