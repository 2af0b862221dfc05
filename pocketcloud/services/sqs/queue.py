"""One queue in memory: its record (attributes, tags) and its messages, mirrored in the store.

The store is the truth on disk (one record per message, written before a send is
acknowledged); this mirror answers receives without reading it. Standard queues keep messages
in one ordered dict and move a received message to the back, so the front holds what is
most likely visible. FIFO queues also keep a deque per message group in send order: a group
serves its head messages in order, and nothing while one of them is in flight.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque

from .attributes import parse_redrive_policy
from .messages import Message, message_key
from .urls import queue_arn


class Queue:
    def __init__(self, store_ns, name: str, record: dict):
        self.ns = store_ns
        self.name = name
        self.record = record
        self.id: str = record["id"]
        self.account, self.region = store_ns.account, store_ns.region
        self.arn = queue_arn(self.account, self.region, name)
        self.fifo = name.endswith(".fifo")
        self.messages: OrderedDict[int, Message] = OrderedDict()
        self.groups: dict[str, deque[Message]] = {}
        self.dedup: dict[str, tuple[float, str, int]] = {}  # FIFO: key -> (expires, message id, seq)
        # FIFO ReceiveRequestAttemptId -> (expires, [(seq, receive token)]); kept in memory only
        self.attempts: dict[str, tuple[float, list[tuple[int, str]]]] = {}
        self.last_seq = 0
        self.deleted = False
        self._event: asyncio.Event | None = None
        self.wake_scheduled_at: float | None = None
        self.refresh()

    def refresh(self) -> None:
        """Cache the numbers the hot path reads, after the attributes change."""
        a = self.record["attributes"]
        self.visibility_timeout = int(a["VisibilityTimeout"])
        self.delay = int(a["DelaySeconds"])
        self.retention = int(a["MessageRetentionPeriod"])
        self.max_size = int(a["MaximumMessageSize"])
        self.wait_time = int(a["ReceiveMessageWaitTimeSeconds"])
        self.content_dedup = a.get("ContentBasedDeduplication") == "true"
        self.dedup_per_group = a.get("DeduplicationScope") == "messageGroup"
        # SSE-KMS: when the current data key's reuse period ends (a new key or period: at once)
        self.data_key_until = 0.0
        # (dead-letter queue ARN, maxReceiveCount) or None
        self.redrive = parse_redrive_policy(a["RedrivePolicy"]) if a.get("RedrivePolicy") else None

    @property
    def attributes(self) -> dict:
        return self.record["attributes"]

    # -- persistence -----------------------------------------------------------------------------
    def load(self) -> None:
        states = dict(self.ns.list("message-state", self.id + "/"))
        for key, record in self.ns.list("message", self.id + "/"):
            message = Message.from_record(record)
            if key in states:
                message.restore_state(states[key])
            self._add(message)
        for key, (expires, message_id, seq) in self.ns.list("dedup", self.id + "/"):
            self.dedup[key.split("/", 1)[1]] = (expires, message_id, seq)
        self.last_seq = max(self.last_seq, self.record.get("last_seq", 0))

    def save_record(self) -> None:
        self.record["last_seq"] = self.last_seq
        self.ns.put("queue", self.name, self.record)

    def save(self, message: Message) -> None:
        """Write a new message (its whole record: one write per send)."""
        self.ns.put("message", message_key(self.id, message.seq), message.record())

    def save_state(self, message: Message) -> None:
        """Write what a receive or a visibility change altered."""
        self.ns.put("message-state", message_key(self.id, message.seq), message.state())

    def next_seq(self, now: float) -> int:
        # Time-based so sequence numbers keep growing across restarts without a write of their own.
        self.last_seq = max(self.last_seq + 1, int(now * 1_000_000) * 1000)
        return self.last_seq

    # -- membership ------------------------------------------------------------------------------
    def _add(self, message: Message) -> None:
        self.messages[message.seq] = message
        if message.seq > self.last_seq:
            self.last_seq = message.seq
        if self.fifo:
            self.groups.setdefault(message.group, deque()).append(message)

    def add(self, message: Message) -> None:
        """Store then mirror a new message, and wake receivers waiting for one."""
        self.save(message)
        self.mirror(message)

    def mirror(self, message: Message) -> None:
        """Show a stored message to receivers (waking those waiting for one)."""
        self._add(message)
        self.wake()

    def remove(self, message: Message) -> None:
        self.unsave(message)
        self.forget(message)

    def unsave(self, message: Message) -> None:
        key = message_key(self.id, message.seq)
        self.ns.delete("message", key)
        if message.token is not None:  # received at least once: it has a state record
            self.ns.delete("message-state", key)

    def forget(self, message: Message) -> None:
        self.messages.pop(message.seq, None)
        if self.fifo:
            group = self.groups.get(message.group)
            if group is not None:
                try:
                    group.remove(message)
                except ValueError:
                    pass
                if not group:
                    del self.groups[message.group]

    def expired(self, message: Message, now: float) -> bool:
        return now >= message.sent + self.retention

    # -- choosing messages to receive -----------------------------------------------------------
    def candidates(self, now: float, limit: int, on_expired) -> list[Message]:
        """Up to `limit` messages visible now, in the order a receive hands them out. Expired
        messages met on the way are passed to on_expired (which removes them)."""
        return self._fifo_candidates(now, limit, on_expired) if self.fifo else \
            self._standard_candidates(now, limit, on_expired)

    def _standard_candidates(self, now, limit, on_expired) -> list[Message]:
        chosen, expired = [], []
        for message in self.messages.values():
            if now >= message.sent + self.retention:
                expired.append(message)
            elif now >= message.visible_at:
                chosen.append(message)
                if len(chosen) >= limit:
                    break
        for message in expired:
            on_expired(message)
        return chosen

    def _fifo_candidates(self, now, limit, on_expired) -> list[Message]:
        chosen, expired = [], []
        for group in list(self.groups.values()):
            for message in group:
                if now >= message.sent + self.retention:
                    expired.append(message)
                    continue
                if now < message.visible_at:
                    break  # in flight (the group is blocked) or delayed (later ones wait behind it)
                chosen.append(message)
                if len(chosen) >= limit:
                    break
            else:
                continue
            if len(chosen) >= limit:
                break
        for message in expired:
            on_expired(message)
        return chosen

    def received(self, message: Message) -> None:
        """A standard queue's received message goes to the back: the front stays visible."""
        if not self.fifo:
            self.messages.move_to_end(message.seq)

    def counts(self, now: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed)."""
        visible = in_flight = delayed = 0
        for message in self.messages.values():
            if now >= message.sent + self.retention:
                continue
            if now >= message.visible_at:
                visible += 1
            elif message.token is not None:
                in_flight += 1
            else:
                delayed += 1
        return visible, in_flight, delayed

    def next_visible(self, now: float) -> float | None:
        """When the next not-yet-visible message becomes visible, if any."""
        times = [m.visible_at for m in self.messages.values() if m.visible_at > now]
        return min(times) if times else None

    # -- long polling --------------------------------------------------------------------------
    def event(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def wake(self) -> None:
        """Wake every receive waiting on this queue (each looks again; one may find nothing)."""
        event, self._event = self._event, None
        if event is not None:
            event.set()
