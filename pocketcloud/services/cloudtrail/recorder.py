"""The CloudTrail recorder: cheap on the request path, batched in the background.

The gateway hands each API call to `Recorder.record` (a few attribute reads and a list append).
Data events (S3 object operations, SQS messages, Lambda invocations...) are dropped right there
unless some logging trail selects data events. A flush, a few hundred milliseconds later or
when the queue is long, builds the records (records.py) and writes them in one transaction.
Anything that reads events (LookupEvents, trail delivery) flushes first.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("pocketcloud.cloudtrail")

FLUSH_DELAY_S = 0.25
FLUSH_SIZE = 2000
_QUEUE_LIMIT = 200_000  # past this (a flush that keeps failing) new calls are not recorded


class Call:
    """What the gateway saw of one call; the record is built from it later."""

    __slots__ = ("service", "operation", "time", "account", "region", "principal_arn", "access_key",
                 "params", "result", "error", "request_id", "source_ip", "user_agent")

    def __init__(self, service, operation, time, account, region, principal_arn, access_key, params, result,
                 error, request_id, source_ip, user_agent):
        self.service, self.operation, self.time = service, operation, time
        self.account, self.region = account, region
        self.principal_arn, self.access_key = principal_arn, access_key
        self.params, self.result, self.error = params, result, error
        self.request_id, self.source_ip, self.user_agent = request_id, source_ip, user_agent


class Recorder:
    def __init__(self, runtime):
        self.runtime = runtime
        self.queue: list[Call] = []
        self.data_events_wanted = False  # set by trails.refresh_selector_cache
        self._flush_handle = None
        self._known_namespaces: set = set()
        from .records import DATA_EVENTS

        self._data_ops = {(svc, op) for svc, (_, ops) in DATA_EVENTS.items() for op in ops}

    def record(self, service: str, operation: str, account: str, region: str, principal_arn, access_key,
               params, result, error, request_id: str, source_ip: str, user_agent: str) -> None:
        if not self.data_events_wanted and (service, operation) in self._data_ops:
            return
        if len(self.queue) >= _QUEUE_LIMIT:
            return
        self.queue.append(Call(service, operation, self.runtime.clock.time(), account, region, principal_arn,
                               access_key, params, result, error, request_id, source_ip, user_agent))
        if len(self.queue) >= FLUSH_SIZE:
            self.flush()
        elif self._flush_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._flush_handle = loop.call_later(FLUSH_DELAY_S, self._timed_flush)

    def _timed_flush(self) -> None:
        self._flush_handle = None
        self.flush()

    def flush(self) -> None:
        if not self.queue:
            return
        from . import eventstore, records

        calls, self.queue = self.queue, []
        built = []
        for call in calls:
            try:
                built.append((call.account, call.region, call.time, records.build(call)))
            except Exception:  # one odd call must not lose the batch
                log.exception("could not build the CloudTrail record of %s %s", call.service, call.operation)
        try:
            eventstore.write(self.runtime.store, built, self._known_namespaces)
        except Exception:
            log.exception("could not write %d CloudTrail events", len(built))

    def reset(self, *_):
        self.queue = []
        self.data_events_wanted = False
        self._known_namespaces = set()


def recorder_for(runtime) -> Recorder:
    recorder = getattr(runtime, "cloudtrail_recorder", None)
    if recorder is None:
        recorder = runtime.cloudtrail_recorder = Recorder(runtime)
        runtime.events.subscribe("pocketcloud.reset", recorder.reset)
    return recorder
