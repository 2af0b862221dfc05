"""Message operations: send, receive (with long polling), delete, change visibility, batches.

Everything time-based is decided lazily against the virtual clock when a request looks:
visibility, delays, retention, the FIFO deduplication window. Receives that wait (long
polling) sleep on the queue's event, woken by a send, a visibility change or, when the
next message becomes visible, a scheduler task (so `pocketcloud time advance` wakes them too).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets

from pocketcloud.protocol.errors import ServiceError

from . import message_input as check
from .digests import attributes_md5, md5_hex
from .messages import Message, invalid_handle, new_message_id, parse_receipt_handle, receipt_handle
from .queue import Queue
from .queue_ops import invalid_parameter
from .attributes import FIFO_DEDUP_WINDOW

MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576
MAX_VISIBILITY = 43_200
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_TOKEN = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")
SYSTEM_NAMES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
                "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader",
                "DeadLetterQueueSourceArn")


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


def send_message_batch(sqs, ctx, params: dict) -> dict:
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
    now = sqs.clock.time()
    return _run_batch(sqs, entries, lambda entry: send_one(sqs, ctx, queue, entry, now))


# -- receive -----------------------------------------------------------------------------------
def _render(queue: Queue, message: Message, system_names: set, attribute_names: list) -> dict:
    out = {"MessageId": message.id, "ReceiptHandle": receipt_handle(queue.id, message),
           "MD5OfBody": message.md5_body, "Body": message.body}
    if system_names:
        every = "All" in system_names
        values = {
            "SenderId": message.sender,
            "SentTimestamp": str(int(message.sent * 1000)),
            "ApproximateReceiveCount": str(message.receive_count),
            "ApproximateFirstReceiveTimestamp": str(int((message.first_receive or message.sent) * 1000)),
        }
        if queue.fifo:
            values["SequenceNumber"] = str(message.seq)
            values["MessageDeduplicationId"] = message.dedup_id
        if message.group is not None:
            values["MessageGroupId"] = message.group
        if "AWSTraceHeader" in message.system:
            values["AWSTraceHeader"] = message.system["AWSTraceHeader"]["StringValue"]
        if message.dead_letter_source:
            values["DeadLetterQueueSourceArn"] = message.dead_letter_source
        chosen = {k: v for k, v in values.items() if every or k in system_names}
        if chosen:
            out["Attributes"] = chosen
    if attribute_names and message.attributes:
        chosen = _select_attributes(message.attributes, attribute_names)
        if chosen:
            out["MessageAttributes"] = chosen
            out["MD5OfMessageAttributes"] = message.md5_attributes if len(chosen) == len(message.attributes) \
                else attributes_md5(chosen)
    return out


def _select_attributes(attributes: dict, names: list) -> dict:
    if "All" in names or ".*" in names:
        return dict(attributes)
    prefixes = tuple(n[:-2] for n in names if n.endswith(".*"))
    exact = set(names)
    return {k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))}


def _take(sqs, queue: Queue, limit: int, visibility: int) -> list[Message]:
    """Mark up to `limit` visible messages received in memory (moving those past
    maxReceiveCount to the dead-letter queue instead); the caller persists the marks."""
    now = sqs.clock.time()
    taken: list[Message] = []
    while len(taken) < limit:
        candidates = queue.candidates(now, limit - len(taken), queue.remove)
        if not candidates:
            break
        moved = False
        for message in candidates:
            if queue.redrive is not None and message.receive_count >= queue.redrive[1]:
                dlq = sqs.registry.by_arn(queue.redrive[0])
                if dlq is not None:
                    move_message(sqs, message, queue, dlq, now, dead_letter=True)
                    moved = True
                    continue
            message.receive_count += 1
            if message.first_receive is None:
                message.first_receive = now
            message.token = secrets.token_hex(8)
            message.received_at = now
            message.visible_at = now + visibility
            queue.received(message)
            taken.append(message)
        if not moved:
            break
    return taken


def move_message(sqs, message: Message, source: Queue, target: Queue, now: float, dead_letter: bool) -> None:
    """Move a message to another queue (dead-letter redrive, or a move task back to a source):
    same id, body and attributes, original send time (retention counts from it)."""
    with sqs.runtime.store.transaction():
        source.remove(message)
        moved = Message(target.next_seq(now), message.id, message.body, message.attributes, message.system,
                        message.md5_body, message.md5_attributes, message.md5_system, message.sent, now,
                        message.group, message.dedup_id, message.sender,
                        dead_letter_source=source.arn if dead_letter else None)
        target.add(moved)


def _receive_limits(queue: Queue, params: dict) -> tuple[int, int, int]:
    limit = params.get("MaxNumberOfMessages")
    limit = 1 if limit is None else limit
    if not 1 <= limit <= 10:
        raise invalid_parameter("MaxNumberOfMessages", limit, "Must be between 1 and 10, if provided.")
    visibility = params.get("VisibilityTimeout")
    visibility = queue.visibility_timeout if visibility is None else visibility
    if not 0 <= visibility <= MAX_VISIBILITY:
        raise invalid_parameter("VisibilityTimeout", visibility, "Must be >= 0 and <= 43200, if provided.")
    wait = params.get("WaitTimeSeconds")
    wait = queue.wait_time if wait is None else wait
    if not 0 <= wait <= 20:
        raise invalid_parameter("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided.")
    return limit, visibility, wait


def _retried_attempt(queue: Queue, attempt_id: str | None, now: float) -> list[Message] | None:
    """FIFO: a ReceiveMessage retried with the same ReceiveRequestAttemptId within 5 minutes
    gets the same messages and receipt handles, while they are still in flight."""
    if not attempt_id or not queue.fifo:
        return None
    found = queue.attempts.get(attempt_id)
    if found is None or found[0] <= now:
        return None
    messages = [queue.messages.get(seq) for seq, _ in found[1]]
    if all(m is not None and m.token == token and m.in_flight(now) for m, (_, token) in zip(messages, found[1])):
        return messages
    return None


def _remember_attempt(queue: Queue, attempt_id: str | None, now: float, taken: list[Message]) -> None:
    if not attempt_id or not queue.fifo:
        return
    if len(queue.attempts) > 1000:
        queue.attempts = {k: v for k, v in queue.attempts.items() if v[0] > now}
    queue.attempts[attempt_id] = (now + FIFO_DEDUP_WINDOW, [(m.seq, m.token) for m in taken])


async def receive_message(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    limit, visibility, wait = _receive_limits(queue, params)
    attempt_id = params.get("ReceiveRequestAttemptId")
    taken = _retried_attempt(queue, attempt_id, sqs.clock.time())
    if taken is None:
        taken = _take(sqs, queue, limit, visibility)
        if not taken and wait > 0:
            taken = await _long_poll(sqs, queue, limit, visibility, wait)
        if not taken:
            return {}
        _remember_attempt(queue, attempt_id, sqs.clock.time(), taken)
        await sqs.writes.run(lambda: queue.deleted or [queue.save_state(m) for m in taken])
    system_names = set(params.get("AttributeNames") or ()) | set(params.get("MessageSystemAttributeNames") or ())
    attribute_names = params.get("MessageAttributeNames") or []
    return {"Messages": [_render(queue, m, system_names, attribute_names) for m in taken]}


async def _long_poll(sqs, queue: Queue, limit: int, visibility: int, wait: int) -> list[Message]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not queue.deleted:
        event = queue.event()
        remaining = deadline - loop.time()
        if remaining <= 0:
            return []
        now = sqs.clock.time()
        upcoming = queue.next_visible(now)
        if upcoming is not None:
            _schedule_wake(sqs, queue, upcoming)
            remaining = min(remaining, max(upcoming - now, 0.001))
        try:
            await asyncio.wait_for(event.wait(), remaining)
        except asyncio.TimeoutError:
            pass
        taken = _take(sqs, queue, limit, visibility)
        if taken:
            return taken
    return []


def _schedule_wake(sqs, queue: Queue, when: float) -> None:
    """Wake the queue's waiters when its next message becomes visible, also when the virtual
    clock jumps there (the scheduler runs due tasks right after an advance)."""
    if queue.wake_scheduled_at is not None and queue.wake_scheduled_at <= when:
        return
    queue.wake_scheduled_at = when

    def wake() -> None:
        if queue.wake_scheduled_at == when:
            queue.wake_scheduled_at = None
        queue.wake()

    sqs.runtime.scheduler.at(when, wake, "sqs-visibility-wake")


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
