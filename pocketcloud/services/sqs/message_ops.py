"""Message operations: send, delete, change visibility, and their batches (receive.py has
ReceiveMessage). Time-based rules (delays, the FIFO deduplication window, visibility) are
decided against the virtual clock when a request looks.
"""

from __future__ import annotations

import hashlib
import re

from pocketcloud.protocol.errors import ServiceError

from . import message_input as check
from .attributes import FIFO_DEDUP_WINDOW, MAX_VISIBILITY
from .digests import attributes_md5, md5_hex
from .kms_keys import check_key
from .messages import Message, invalid_handle, new_message_id, parse_receipt_handle
from .queue import Queue
from .queue_ops import invalid_parameter

MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_TOKEN = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")


# -- send --------------------------------------------------------------------------------------
def _fifo_fields(queue: Queue, entry: dict, body: str) -> tuple[str, str, str]:
    """(group, deduplication id, deduplication key) of a FIFO send."""
    if entry.get("DelaySeconds"):
        raise invalid_parameter("DelaySeconds", entry["DelaySeconds"],
                                "The request include parameter that is not valid for this queue type.")
    group = entry.get("MessageGroupId")
    if not group:
        raise ServiceError("MissingParameter", "The request must contain the parameter MessageGroupId.")
    if not _FIFO_TOKEN.match(group):
        raise invalid_parameter("MessageGroupId", group, "MessageGroupId can only include alphanumeric and "
                                "punctuation characters. 1 to 128 in length.")
    dedup = entry.get("MessageDeduplicationId")
    if dedup is None:
        if not queue.content_dedup:
            raise ServiceError("InvalidParameterValue", "The queue should either have ContentBasedDeduplication "
                               "enabled or MessageDeduplicationId provided explicitly")
        dedup = hashlib.sha256(body.encode()).hexdigest()
    elif not _FIFO_TOKEN.match(dedup):
        raise invalid_parameter("MessageDeduplicationId", dedup, "MessageDeduplicationId can only include "
                                "alphanumeric and punctuation characters. 1 to 128 in length.")
    return group, dedup, (f"{group}/{dedup}" if queue.dedup_per_group else dedup)


def prepare_send(ctx, queue: Queue, entry: dict, now: float) -> tuple[Message | None, dict, str | None]:
    """Check a send and build its message: (message, answer, FIFO deduplication key); the
    message is None when a FIFO duplicate inside the 5-minute window is only acknowledged."""
    body = entry.get("MessageBody")
    check.check_body(body)
    attributes, attributes_size = check.check_attributes(entry.get("MessageAttributes"))
    system, _ = check.check_system_attributes(entry.get("MessageSystemAttributes"))
    check.check_size(queue, body, attributes_size)
    group = dedup = dedup_key = None
    if queue.fifo:
        group, dedup, dedup_key = _fifo_fields(queue, entry, body)
        seen = queue.dedup.get(dedup_key)
        if seen is not None and seen[0] > now:
            return None, _send_answer(seen[1], md5_hex(body.encode()), attributes, system, seen[2]), None
        delay = queue.delay
    else:
        if entry.get("MessageDeduplicationId") is not None:
            raise invalid_parameter("MessageDeduplicationId", entry["MessageDeduplicationId"],
                                    "The request include parameter that is not valid for this queue type")
        delay = entry.get("DelaySeconds")
        if delay is None:
            delay = queue.delay
        elif not 0 <= delay <= 900:
            raise invalid_parameter("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
        group = entry.get("MessageGroupId")  # fair queues: standard queues accept a group id
    message = Message(queue.next_seq(now), new_message_id(), body, attributes, system,
                      md5_hex(body.encode()), attributes_md5(attributes) if attributes else None,
                      attributes_md5(system) if system else None, now, now + delay, group, dedup,
                      ctx.account)
    answer = _send_answer(message.id, message.md5_body, attributes, system, message.seq if queue.fifo else None,
                          message)
    return message, answer, dedup_key


def send_one(sqs, ctx, queue: Queue, entry: dict, now: float) -> dict:
    """Send one message, committed before returning (batches: inside their transaction)."""
    message, answer, dedup_key = prepare_send(ctx, queue, entry, now)
    if message is not None:
        with sqs.runtime.store.transaction():
            if dedup_key is not None:
                _remember_dedup(queue, dedup_key, now, message)
            queue.add(message)
    return answer


def _remember_dedup(queue: Queue, key: str, now: float, message: Message) -> None:
    if len(queue.dedup) > 256:  # forget what left the window, now and then
        for old in [k for k, (expires, _, _) in queue.dedup.items() if expires <= now]:
            del queue.dedup[old]
            queue.ns.delete("dedup", f"{queue.id}/{old}")
    entry = (now + FIFO_DEDUP_WINDOW, message.id, message.seq)
    queue.dedup[key] = entry
    queue.ns.put("dedup", f"{queue.id}/{key}", list(entry))


def _send_answer(message_id: str, md5_body: str, attributes: dict, system: dict, seq: int | None,
                 message: Message | None = None) -> dict:
    out = {"MessageId": message_id, "MD5OfMessageBody": md5_body}
    if attributes:
        out["MD5OfMessageAttributes"] = message.md5_attributes if message else attributes_md5(attributes)
    if system:
        out["MD5OfMessageSystemAttributes"] = message.md5_system if message else attributes_md5(system)
    if seq is not None:
        out["SequenceNumber"] = str(seq)
    return out


async def send_message(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    await check_key(sqs, queue)
    now = sqs.clock.time()
    if queue.fifo:  # deduplication must be decided and recorded in one step
        return send_one(sqs, ctx, queue, params, now)
    message, answer, _ = prepare_send(ctx, queue, params, now)
    # (a queue deleted meanwhile keeps no rows: its records were removed with it)
    await sqs.writes.run(lambda: queue.deleted or queue.save(message))
    queue.mirror(message)  # receivers see it only once it is committed
    return answer


def _check_batch(entries: list, kind: str) -> None:
    if not entries:
        raise ServiceError("EmptyBatchRequest", f"There should be at least one {kind} in the request.")
    if len(entries) > MAX_BATCH:
        raise ServiceError("TooManyEntriesInBatchRequest",
                           f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.")
    seen = set()
    for entry in entries:
        entry_id = entry.get("Id") or ""
        if not _BATCH_ID.match(entry_id):
            raise ServiceError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, "
                               "hyphens and underscores. It can be at most 80 letters long.")
        if entry_id in seen:
            raise ServiceError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)


def _failure(entry_id: str, error: ServiceError) -> dict:
    return {"Id": entry_id, "SenderFault": error.sender_fault, "Code": error.code, "Message": error.message}


def _run_batch(sqs, entries: list, one) -> dict:
    successful, failed = [], []
    with sqs.runtime.store.transaction():
        for entry in entries:
            try:
                successful.append({"Id": entry["Id"], **(one(entry) or {})})
            except ServiceError as error:
                failed.append(_failure(entry["Id"], error))
    return {"Successful": successful, "Failed": failed}


async def send_message_batch(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    entries = params.get("Entries") or []
    _check_batch(entries, "SendMessageBatchRequestEntry")
    total = 0
    for entry in entries:
        total += len((entry.get("MessageBody") or "").encode())
        for name, value in (entry.get("MessageAttributes") or {}).items():
            total += len(name.encode()) + len((value or {}).get("DataType", "").encode())
            total += len((value or {}).get("StringValue", "").encode()) + len((value or {}).get("BinaryValue", b""))
    if total > MAX_BATCH_BYTES:
        raise ServiceError("BatchRequestTooLong",
                           f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes.")
    await check_key(sqs, queue)
    now = sqs.clock.time()
    return _run_batch(sqs, entries, lambda entry: send_one(sqs, ctx, queue, entry, now))


# -- delete and visibility ---------------------------------------------------------------------
def _find_received(queue: Queue, handle: str) -> tuple[Message | None, str]:
    queue_id, seq, token = parse_receipt_handle(handle)
    if queue_id != queue.id:
        raise invalid_handle(handle)
    return queue.messages.get(seq), token


def _expired_handle(handle: str) -> ServiceError:
    return invalid_parameter("ReceiptHandle", handle, "The receipt handle has expired.")


def _deletable(sqs, queue: Queue, handle: str) -> Message | None:
    """The message a DeleteMessage removes (None: nothing to remove), or the error it gets."""
    message, token = _find_received(queue, handle)
    if message is None:
        return None  # already deleted: deleting again succeeds
    now = sqs.clock.time()
    if message.token != token:
        if queue.fifo:
            raise _expired_handle(handle)
        return None  # a handle from an earlier receive: accepted, but the message stays (as in AWS)
    if queue.fifo and not message.in_flight(now):
        raise _expired_handle(handle)
    return message


def delete_one(sqs, queue: Queue, handle: str) -> None:
    message = _deletable(sqs, queue, handle)
    if message is not None:
        queue.remove(message)


async def delete_message(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    message = _deletable(sqs, queue, params["ReceiptHandle"])
    if message is not None:
        queue.forget(message)
        await sqs.writes.run(lambda: queue.unsave(message))
    return {}


def delete_message_batch(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    entries = params.get("Entries") or []
    _check_batch(entries, "DeleteMessageBatchRequestEntry")
    return _run_batch(sqs, entries, lambda entry: delete_one(sqs, queue, entry["ReceiptHandle"]))


def change_visibility_one(sqs, queue: Queue, handle: str, timeout: int) -> None:
    if not 0 <= timeout <= MAX_VISIBILITY:
        raise invalid_parameter("VisibilityTimeout", timeout, "VisibilityTimeout must be an integer between 0 and "
                                "43200.")
    message, token = _find_received(queue, handle)
    now = sqs.clock.time()
    if message is None or message.token != token:
        raise invalid_parameter("ReceiptHandle", handle, "Message does not exist or is not available for "
                                "visibility timeout change.")
    if not message.in_flight(now):
        raise ServiceError("MessageNotInflight", "The message referred to isn't in flight.")
    if now + timeout - message.received_at > MAX_VISIBILITY:
        raise invalid_parameter("VisibilityTimeout", timeout, "Total VisibilityTimeout for the message is beyond "
                                f"the limit [{MAX_VISIBILITY} seconds]")
    message.visible_at = now + timeout
    queue.save_state(message)
    if timeout == 0:
        queue.wake()


def change_message_visibility(sqs, ctx, params: dict) -> dict:
    change_visibility_one(sqs, sqs.queue(ctx, params), params["ReceiptHandle"], params["VisibilityTimeout"])
    return {}


def change_message_visibility_batch(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    entries = params.get("Entries") or []
    _check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
    return _run_batch(sqs, entries, lambda entry: change_visibility_one(
        sqs, queue, entry["ReceiptHandle"], entry.get("VisibilityTimeout", 0)))
