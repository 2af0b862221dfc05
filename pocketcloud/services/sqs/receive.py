"""ReceiveMessage: choosing, marking and rendering messages, long polling, redrive.

A receive marks messages in memory at once (so concurrent receives never hand out the same
message) and answers once the marks are committed. Messages received maxReceiveCount times
move to the dead-letter queue instead. Receives that wait (long polling) sleep on the queue's
event, woken by a send, a visibility change or, when the next message becomes visible, a
scheduler task (so `pocketcloud time advance` wakes them too).
"""

from __future__ import annotations

import asyncio
import secrets

from .attributes import FIFO_DEDUP_WINDOW, MAX_VISIBILITY
from .digests import attributes_md5
from .kms_keys import check_key
from .messages import Message, receipt_handle
from .queue import Queue
from .queue_ops import invalid_parameter


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
    prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))  # "bar.*": names starting "bar."
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
    await check_key(sqs, queue)
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
