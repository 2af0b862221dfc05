"""Publish and PublishBatch: validation (size, subject, structure, attributes, FIFO rules),
deduplication and sequence numbers for FIFO topics, then fan-out to the subscriptions whose
filter policy matches."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid

from pocketcloud.protocol.errors import ServiceError

from . import access, filters, outbox, signing
from .common import DEDUP, TOPIC, get_topic, invalid, invalid_value, iso_millis, parse_arn
from .delivery import Publication

MAX_MESSAGE_BYTES = 256 * 1024
DEDUP_WINDOW = 5 * 60
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_SETTINGS_PREFIXES = ("AWS.SNS.SMS.", "AWS.SNS.MOBILE.", "AWS.MM.SMS.")
_GROUP_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


def attributes_size(attributes: dict) -> int:
    size = 0
    for name, attr in (attributes or {}).items():
        size += len(name.encode()) + len(attr.get("DataType", "").encode())
        if attr.get("BinaryValue") is not None:
            size += len(attr["BinaryValue"])
        else:
            size += len((attr.get("StringValue") or "").encode())
    return size


def check_attributes(attributes: dict) -> None:
    for name, attr in (attributes or {}).items():
        if not _ATTRIBUTE_NAME.match(name) or ".." in name or name.startswith(".") or name.endswith("."):
            raise invalid_value(f"Invalid attribute name: {name}")
        # AWS. and Amazon. are reserved, except the settings AWS documents for SMS and mobile push
        # (AWS.SNS.SMS.SenderID, AWS.SNS.MOBILE.APNS.PUSH_TYPE, AWS.MM.SMS.OriginationNumber...).
        if name.lower().startswith(("aws.", "amazon.")) and not name.startswith(_SETTINGS_PREFIXES):
            raise invalid_value(f"Attribute name starting with 'AWS.' or 'Amazon.' is reserved: {name}")
        kind = attr.get("DataType") or ""
        base = kind.split(".", 1)[0]
        if base not in ("String", "Number", "Binary") or (kind.startswith("String.") and kind != "String.Array"
                                                          and not kind[7:]):
            raise invalid_value(f"The message attribute '{name}' has an invalid message attribute type, the set of "
                                "supported type prefixes is Binary, Number, and String.")
        if base == "Binary":
            if not attr.get("BinaryValue"):
                raise invalid_value(f"The message attribute '{name}' must contain non-empty message attribute value "
                                    f"for message attribute type '{base}'.")
            continue
        value = attr.get("StringValue")
        if value is None or value == "":
            raise invalid_value(f"The message attribute '{name}' must contain non-empty message attribute value "
                                f"for message attribute type '{base}'.")
        if base == "Number":
            try:
                number = float(value)
            except ValueError:
                raise invalid_value(f"Could not cast message attribute '{name}' value to number.") from None
            if number != number or abs(number) > 1e9 * 1e9:
                raise invalid_value(f"Could not cast message attribute '{name}' value to number.")
        elif kind == "String.Array":
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if not isinstance(parsed, list) or any(isinstance(v, (dict, list)) for v in parsed):
                raise invalid_value(f"The message attribute '{name}' with type 'String.Array' has an invalid value: "
                                    "must be a JSON array of strings, numbers, booleans or nulls.")


def parse_structure(message: str, structure: str | None) -> dict:
    if structure is None:
        return {"default": message}
    if structure != "json":
        raise invalid("Invalid parameter: MessageStructure")
    try:
        messages = json.loads(message)
    except ValueError:
        raise invalid("Invalid parameter: Message Structure - JSON message body failed to parse") from None
    if not isinstance(messages, dict):
        raise invalid("Invalid parameter: Message Structure - JSON message body failed to parse")
    if "default" not in messages:
        raise invalid("Invalid parameter: Message Structure - No default entry in JSON message body")
    out = {}
    for key, value in messages.items():
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


def check_message(entry: dict) -> dict:
    """The per-protocol messages of one Publish or batch entry, after AWS's checks."""
    message = entry.get("Message")
    if message is None or message == "":
        raise invalid("Invalid parameter: Empty message")
    if len(message.encode()) + attributes_size(entry.get("MessageAttributes")) > MAX_MESSAGE_BYTES:
        raise invalid("Invalid parameter: Message too long")
    subject = entry.get("Subject")
    if subject is not None and (not subject or len(subject) > 100 or not subject.isascii()
                                or any(c in subject for c in "\r\n") or not subject.isprintable()):
        raise invalid("Invalid parameter: Subject")
    check_attributes(entry.get("MessageAttributes"))
    return parse_structure(message, entry.get("MessageStructure"))


class FifoState:
    """Deduplication and sequence numbers of FIFO topics, kept in the store."""

    @staticmethod
    def check(topic: dict, entry: dict) -> str | None:
        """The deduplication id of a FIFO publish (None for a standard topic)."""
        fifo = topic["Attributes"].get("FifoTopic") == "true"
        if not fifo:
            if entry.get("MessageDeduplicationId"):
                raise invalid("Invalid parameter: MessageDeduplicationId Reason: The request includes "
                              "MessageDeduplicationId parameter that is not valid for this topic type")
            return None
        group = entry.get("MessageGroupId")
        if not group:
            raise invalid("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        if not _GROUP_ID.match(group):
            raise invalid("Invalid parameter: MessageGroupId")
        dedup = entry.get("MessageDeduplicationId")
        if dedup is None:
            if topic["Attributes"].get("ContentBasedDeduplication") != "true":
                raise invalid("Invalid parameter: The topic should either have ContentBasedDeduplication enabled "
                              "or MessageDeduplicationId provided explicitly")
            dedup = hashlib.sha256(entry["Message"].encode()).hexdigest()
        elif not _GROUP_ID.match(dedup):
            raise invalid("Invalid parameter: MessageDeduplicationId")
        return dedup

    @staticmethod
    def claim(runtime, ns, topic: dict, dedup: str) -> tuple[dict | None, str, str]:
        """(previous publish or None, message id, sequence number): a repeat within five minutes
        gets the first publish's id and is not delivered again."""
        now = runtime.clock.time()
        key = f"{topic['Name']}|{dedup}"
        with runtime.store.transaction():
            seen = ns.get(DEDUP, key)
            if seen is not None and seen["Expires"] > now:
                return seen, seen["MessageId"], seen["SequenceNumber"]
            current = ns.get(TOPIC, topic["Name"]) or topic
            current["Sequence"] = current.get("Sequence", 0) + 1
            ns.put(TOPIC, topic["Name"], current)
            sequence = f"{10 ** 19 + current['Sequence']:020d}"
            message_id = str(uuid.uuid4())
            ns.put(DEDUP, key, {"MessageId": message_id, "SequenceNumber": sequence, "Expires": now + DEDUP_WINDOW})
        return None, message_id, sequence


async def publish_to_topic(provider, topic_arn: str, entry: dict, messages: dict, account: str | None) -> dict:
    runtime = provider.runtime
    await signing.ready(runtime)
    ns, topic = get_topic(runtime, topic_arn)
    access.check(topic, account, "SNS:Publish")
    dedup = FifoState.check(topic, entry)
    sequence = None
    if dedup is not None:
        seen, message_id, sequence = FifoState.claim(runtime, ns, topic, dedup)
        if seen is not None:
            return {"MessageId": message_id, "SequenceNumber": sequence}
    else:
        message_id = str(uuid.uuid4())
    publication = Publication(topic, message_id, messages, entry.get("Subject"), entry.get("MessageAttributes"),
                              iso_millis(runtime.clock.now()), entry.get("MessageGroupId"), dedup, sequence)
    deliveries = [provider.deliverer.deliver(sub, publication)
                  for sub, policy, scope in provider.cache.subscriptions(ns, topic["Arn"])
                  if policy is None or filters.matches(policy, scope, publication.attributes, messages["default"])]
    # Together, so that the queues' writes share one commit (SQS groups writes queued in the same
    # loop turn); each queue still gets a FIFO topic's messages in order, one publish at a time.
    if len(deliveries) == 1:
        await deliveries[0]
    elif deliveries:
        await asyncio.gather(*deliveries)
    out = {"MessageId": message_id}
    if sequence:
        out["SequenceNumber"] = sequence
    return out


async def publish(provider, ctx, params: dict) -> dict:
    targets = [k for k in ("TopicArn", "TargetArn", "PhoneNumber") if params.get(k)]
    if not targets:
        raise invalid("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
    if len(targets) > 1:
        raise invalid("Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or "
                      "PhoneNumber may be specified")
    messages = check_message(params)
    if params.get("PhoneNumber"):
        return publish_sms(provider.runtime, ctx, params["PhoneNumber"], messages.get("sms", messages["default"]),
                           params.get("MessageAttributes"))
    arn = params.get("TopicArn") or params["TargetArn"]
    parts = parse_arn(arn)
    if parts and parts[0] == "sns" and parts[3].startswith("endpoint/"):
        from .platform import publish_to_endpoint

        return publish_to_endpoint(provider.runtime, arn, params, messages)
    return await publish_to_topic(provider, arn, params, messages, access.caller(ctx))


def publish_sms(runtime, ctx, number: str, message: str, attributes) -> dict:
    if not _PHONE.match(number):
        raise invalid("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
    from .platform import opted_out

    if opted_out(ctx, number):
        raise ServiceError("OptedOut", "Phone number is opted out", 400)
    message_id = str(uuid.uuid4())
    outbox.record(runtime, {"Protocol": "sms", "Endpoint": number, "MessageId": message_id, "Message": message,
                            "MessageAttributes": {k: v.get("StringValue") for k, v in (attributes or {}).items()}})
    return {"MessageId": message_id}


def _batch_error(entry_id: str, error: ServiceError) -> dict:
    return {"Id": entry_id, "Code": error.code, "Message": error.message, "SenderFault": error.status < 500}


async def publish_batch(provider, ctx, params: dict) -> dict:
    entries = params.get("PublishBatchRequestEntries") or []
    if not entries:
        raise ServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries.", 400)
    if len(entries) > 10:
        raise ServiceError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.",
                           400)
    ids = [e.get("Id", "") for e in entries]
    for entry_id in ids:
        if not _BATCH_ID.match(entry_id):
            raise ServiceError("InvalidBatchEntryId",
                               "The Id of a batch entry in a batch request doesn't abide by the specification.", 400)
    if len(set(ids)) != len(ids):
        raise ServiceError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", 400)
    total = sum(len((e.get("Message") or "").encode()) + attributes_size(e.get("MessageAttributes")) for e in entries)
    if total > MAX_MESSAGE_BYTES:
        raise ServiceError("BatchRequestTooLong", "The length of all the messages put together is more than the limit.",
                           400)
    get_topic(ctx.runtime, params["TopicArn"])  # NotFound for the whole request
    successful, failed = [], []
    for entry in entries:
        try:
            messages = check_message(entry)
            result = await publish_to_topic(provider, params["TopicArn"], entry, messages, access.caller(ctx))
        except ServiceError as exc:
            if exc.code in ("NotFound", "AuthorizationError"):
                raise
            failed.append(_batch_error(entry["Id"], exc))
            continue
        successful.append({"Id": entry["Id"], **result})
    return {"Successful": successful, "Failed": failed}
