"""Shipping each invocation's log (START, output, END, REPORT) to CloudWatch Logs.

Group /aws/lambda/<name> (or the function's LoggingConfig.LogGroup), one stream per execution
environment, as on AWS. Lines are buffered per stream and shipped in one PutLogEvents a moment
later (FLUSH_SECONDS), off the invocation's path: one call per burst rather than per invocation
keeps a warm invoke cheap. While CloudWatch Logs is not available (LookupError) nothing is shipped.
"""

from __future__ import annotations

import asyncio
import logging

from ...protocol.errors import ServiceError

log = logging.getLogger("pocketcloud.lambda")

FLUSH_SECONDS = 0.1
MAX_BATCH_EVENTS = 5000  # under PutLogEvents' 10,000-event limit


class LogShipper:
    def __init__(self, runtime):
        self.runtime = runtime
        self.created: set[tuple] = set()
        self.pending: dict[tuple, list[dict]] = {}
        self.flushing = False

    def ship(self, account: str, region: str, group: str, stream: str, text: str, now_ms: int) -> None:
        handler, _ = self.runtime.providers.handler("logs", "PutLogEvents")
        if handler is None:
            return
        key = (account, region, group, stream)
        events = self.pending.get(key)
        if events is None:
            events = self.pending[key] = []
        events.extend({"timestamp": now_ms, "message": line} for line in text.splitlines() if line)
        if not self.flushing:
            self.flushing = True
            asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._start_flush)

    def _start_flush(self) -> None:
        asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while self.pending:
                batches, self.pending = self.pending, {}
                for key, events in batches.items():
                    for start in range(0, len(events), MAX_BATCH_EVENTS):
                        await self._put(key, events[start:start + MAX_BATCH_EVENTS])
        finally:
            self.flushing = False

    async def _put(self, key: tuple, events: list[dict]) -> None:
        account, region, group, stream = key
        call = self.runtime.providers.call
        try:
            if key not in self.created:
                for operation, params in (("CreateLogGroup", {"logGroupName": group}),
                                          ("CreateLogStream", {"logGroupName": group, "logStreamName": stream})):
                    try:
                        await call("logs", operation, params, account, region)
                    except ServiceError as exc:
                        if exc.code != "ResourceAlreadyExistsException":
                            raise
                self.created.add(key)
            await call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream, "logEvents": events},
                       account, region)
        except LookupError:
            pass
        except ServiceError as exc:
            self.created.discard(key)  # the group may have been deleted: create it again next time
            log.debug("could not ship logs to %s: %s", group, exc)
        except Exception:
            log.exception("could not ship logs to %s", group)
