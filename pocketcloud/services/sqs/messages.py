"""One message's state, in memory and as its store record.

A message is visible when `now >= visible_at` (lazy: nothing runs when a visibility timeout or a
delay ends; the next receive sees it). `token` names its latest receive, so a receipt handle
from an earlier receive is recognised as stale. In the store, a message is one record written
by its send; what receives change (visibility, count, token) goes to a small second record.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import secrets

from pocketcloud.protocol.errors import ServiceError


class Message:
    __slots__ = ("seq", "id", "body", "attributes", "system", "md5_body", "md5_attributes", "md5_system",
                 "sent", "visible_at", "receive_count", "first_receive", "token", "group", "dedup_id",
                 "sender", "dead_letter_source", "received_at")

    def __init__(self, seq: int, message_id: str, body: str, attributes: dict, system: dict, md5_body: str,
                 md5_attributes: str | None, md5_system: str | None, sent: float, visible_at: float,
                 group: str | None = None, dedup_id: str | None = None, sender: str = "",
                 receive_count: int = 0, first_receive: float | None = None, token: str | None = None,
                 dead_letter_source: str | None = None, received_at: float | None = None):
        self.seq = seq
        self.id = message_id
        self.body = body
        self.attributes = attributes
        self.system = system
        self.md5_body = md5_body
        self.md5_attributes = md5_attributes
        self.md5_system = md5_system
        self.sent = sent
        self.visible_at = visible_at
        self.group = group
        self.dedup_id = dedup_id
        self.sender = sender
        self.receive_count = receive_count
        self.first_receive = first_receive
        self.token = token
        self.dead_letter_source = dead_letter_source
        self.received_at = received_at  # when the latest receive began (the 12-hour visibility limit)

    def in_flight(self, now: float) -> bool:
        return self.token is not None and now < self.visible_at

    def state(self) -> list:
        """What a receive or a visibility change alters, stored apart from the (up to 1 MiB)
        body so that those writes stay small."""
        return [self.visible_at, self.receive_count, self.first_receive, self.token, self.received_at]

    def restore_state(self, state: list) -> None:
        self.visible_at, self.receive_count, self.first_receive, self.token, self.received_at = state

    def record(self) -> dict:
        return {"seq": self.seq, "id": self.id, "body": self.body, "attrs": self.attributes, "sys": self.system,
                "md5": self.md5_body, "md5a": self.md5_attributes, "md5s": self.md5_system, "sent": self.sent,
                "vis": self.visible_at, "grp": self.group, "dedup": self.dedup_id, "sender": self.sender,
                "rc": self.receive_count, "first": self.first_receive, "tok": self.token,
                "dls": self.dead_letter_source, "rat": self.received_at}

    @classmethod
    def from_record(cls, r: dict) -> "Message":
        return cls(r["seq"], r["id"], r["body"], r["attrs"], r["sys"], r["md5"], r["md5a"], r["md5s"], r["sent"],
                   r["vis"], r["grp"], r["dedup"], r["sender"], r["rc"], r["first"], r["tok"], r["dls"],
                   r.get("rat"))


_ID_PREFIX = f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-4{secrets.token_hex(2)[1:]}-{8 + secrets.randbelow(4):x}"
_id_counter = itertools.count(secrets.randbelow(1 << 40))


def new_message_id() -> str:
    """A UUID-shaped message id, unique per process run (random prefix + counter): uuid4()
    reads the OS's random source on every call, a visible part of a send's cost."""
    counter = next(_id_counter)
    return f"{_ID_PREFIX}{(counter >> 48) & 0xfff:03x}-{counter & 0xffffffffffff:012x}"


def message_key(queue_id: str, seq: int) -> str:
    return f"{queue_id}/{seq:020d}"


def receipt_handle(queue_id: str, message: Message) -> str:
    raw = f"{queue_id}/{message.seq}/{message.token}/{message.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def invalid_handle(handle: str) -> ServiceError:
    return ServiceError("ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.',
                        404)


def parse_receipt_handle(handle: str) -> tuple[str, int, str]:
    """(queue id, sequence, receive token) of a receipt handle; ReceiptHandleIsInvalid otherwise."""
    try:
        raw = base64.urlsafe_b64decode(handle.encode("ascii")).decode()
        queue_id, seq, token, _ = raw.split("/", 3)
        return queue_id, int(seq), token
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid_handle(handle) from None
