"""StartLiveTail: a response stream of the events ingested while the session is open.

PutLogEvents offers each accepted batch to the open sessions (in memory: a live session lives in
this process anyway). Each session sends a LiveTailSessionStart, then every second a
LiveTailSessionUpdate with up to 500 events (sampled down beyond that, `sampled` true), and
ends with a SessionTimeoutException after three hours, as AWS does.
"""

from __future__ import annotations

import asyncio
import random
import uuid

from pocketcloud.protocol.errors import ServiceError

from .common import group_arn, group_name_of, invalid, load_group
from .patterns import compile_pattern

UPDATE_SECONDS = 1.0
MAX_PER_UPDATE = 500
MAX_BUFFERED = 5000
SESSION_SECONDS = 3 * 3600


class Session:
    def __init__(self, account: str, region: str, groups: dict[str, str], names, prefixes, matcher):
        self.account, self.region = account, region
        self.groups = groups            # group name -> the identifier the client gave
        self.names = set(names or ())
        self.prefixes = tuple(prefixes or ())
        self.matcher = matcher
        self.pending: list[dict] = []
        self.dropped = False

    def wants(self, account: str, region: str, group: str, stream: str) -> bool:
        if (account, region) != (self.account, self.region) or group not in self.groups:
            return False
        if self.names:
            return stream in self.names
        return not self.prefixes or stream.startswith(self.prefixes)

    def offer(self, group: str, stream: str, rows: list) -> None:
        for row in rows:
            if self.matcher.match(row[3]) is None:
                continue
            self.pending.append({"logStreamName": stream, "logGroupIdentifier": self.groups[group],
                                 "message": row[3], "timestamp": row[1], "ingestionTime": row[2]})
        if len(self.pending) > MAX_BUFFERED:   # a slow reader: the oldest go first
            del self.pending[:len(self.pending) - MAX_BUFFERED]
            self.dropped = True

    def take(self) -> tuple[list[dict], bool]:
        batch, self.pending = self.pending, []
        sampled = self.dropped or len(batch) > MAX_PER_UPDATE
        if len(batch) > MAX_PER_UPDATE:
            keep = sorted(random.sample(range(len(batch)), MAX_PER_UPDATE))
            batch = [batch[i] for i in keep]
        self.dropped = False
        return batch, sampled


class LiveTails:
    """The open sessions of this server."""

    def __init__(self):
        self.sessions: set[Session] = set()

    def publish(self, account: str, region: str, group: str, stream: str, rows: list) -> None:
        for session in list(self.sessions):
            if session.wants(account, region, group, stream):
                session.offer(group, stream, rows)

    def start(self, ctx, params: dict) -> dict:
        identifiers = params["logGroupIdentifiers"]
        names, prefixes = params.get("logStreamNames"), params.get("logStreamNamePrefixes")
        if names and prefixes:
            raise invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
        if (names or prefixes) and len(identifiers) != 1:
            raise invalid("logStreamNames and logStreamNamePrefixes can be given only with one log group.")
        groups = {}
        for identifier in identifiers:
            if identifier.endswith("*"):
                raise invalid(f"Log group ARN must not end with '*': {identifier}")
            name = group_name_of(ctx, {"logGroupIdentifier": identifier})
            load_group(ctx, name)
            groups[name] = identifier if identifier.startswith("arn:") else group_arn(ctx, name)
        pattern = params.get("logEventFilterPattern") or ""
        session = Session(ctx.account, ctx.region, groups, names, prefixes, compile_pattern(pattern))
        start = {"requestId": ctx.request_id, "sessionId": str(uuid.uuid4()),
                 "logGroupIdentifiers": list(identifiers), "logEventFilterPattern": pattern}
        if names:
            start["logStreamNames"] = list(names)
        if prefixes:
            start["logStreamNamePrefixes"] = list(prefixes)
        return {"responseStream": self._stream(session, start)}

    async def _stream(self, session: Session, start: dict):
        self.sessions.add(session)
        try:
            yield {"sessionStart": start}
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SESSION_SECONDS
            while loop.time() < deadline:
                await asyncio.sleep(UPDATE_SECONDS)
                results, sampled = session.take()
                yield {"sessionUpdate": {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}}
            raise ServiceError("SessionTimeoutException", "The session has been open for three hours.", 400)
        finally:
            self.sessions.discard(session)
