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
_QUEUE_LIMIT = 200_000
_GLOBAL_SERVICES = frozenset(("iam", "cloudfront", "route53", "organizations"))  # past this (a flush that keeps failing) new calls are not recorded


class Call:
    """What the gateway saw of one call; the record is built from it later."""

    __slots__ = ("time", "service", "operation", "account", "region", "principal_arn", "access_key",
                 "params", "result", "error", "request_id", "source_ip", "user_agent", "event_id")

    def __init__(self, time, service, operation, account, region, principal_arn, access_key, params, result,
                 error, request_id, source_ip, user_agent, event_id=None):
        self.service, self.operation, self.time = service, operation, time
        self.account, self.region = account, region
        self.principal_arn, self.access_key = principal_arn, access_key
        self.params, self.result, self.error = params, result, error
        self.request_id, self.source_ip, self.user_agent = request_id, source_ip, user_agent
        self.event_id = event_id

    def fields(self) -> list:
        """The stored form: a flat list in slot order (cheap to CBOR-encode in batches)."""
        return [self.time, self.service, self.operation, self.account, self.region, self.principal_arn,
                self.access_key, self.params, self.result, self.error, self.request_id, self.source_ip,
                self.user_agent, self.event_id]


class Recorder:
    def __init__(self, runtime):
        self.runtime = runtime
        self.queue: list[Call] = []
        self.data_events_wanted = False  # set by trails.refresh_selector_cache
        self._flush_handle = None
        self._known_namespaces: set = set()
        # account -> time of its newest written event, so trail delivery can skip the store when
        # nothing happened (a `time advance 30d` runs 8,640 five-minute deliveries).
        self.latest: dict[str, float] = {}
        self._kinds: dict[tuple[str, str], tuple[bool, bool]] = {}  # -> (data event, read only)

    @staticmethod
    def _classify(service: str, operation: str) -> tuple[bool, bool]:
        from .records import data_resource_type, is_read_only

        return data_resource_type(service, operation) is not None, is_read_only(operation)

    def is_data_event(self, service: str, operation: str) -> bool:
        return self._kind(service, operation)[0]

    def _kind(self, service: str, operation: str) -> tuple[bool, bool]:
        kind = self._kinds.get((service, operation))
        if kind is None:
            kind = self._kinds[(service, operation)] = self._classify(service, operation)
        return kind

    def record(self, service: str, operation: str, account: str, region: str, principal_arn, access_key,
               params, result, error, request_id: str, source_ip: str, user_agent: str) -> None:
        is_data, read_only = self._kind(service, operation)
        if (is_data and not self.data_events_wanted) or len(self.queue) >= _QUEUE_LIMIT:
            return
        if read_only:
            result = None  # never shown for reads: do not keep it alive until the flush
        if service in _GLOBAL_SERVICES:
            region = "us-east-1"  # global services' events are recorded in US East (N. Virginia)
        self.queue.append(Call(self.runtime.clock.time(), service, operation, account, region, principal_arn,
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
        """Scrub the queued calls of secrets and write them, one store row per account, region,
        day and category. The full records are built only when something reads them."""
        if not self.queue:
            return
        from . import eventstore

        calls, self.queue = self.queue, []
        for call in calls:
            if call.time > self.latest.get(call.account, 0.0):
                self.latest[call.account] = call.time
        try:
            eventstore.write(self.runtime.store, calls, self._known_namespaces)
        except Exception:
            log.exception("could not write %d CloudTrail events", len(calls))

    def reset(self, *_):
        self.queue = []
        self.latest = {}
        self.data_events_wanted = False
        self._known_namespaces = set()


def recorder_for(runtime) -> Recorder:
    recorder = getattr(runtime, "cloudtrail_recorder", None)
    if recorder is None:
        recorder = runtime.cloudtrail_recorder = Recorder(runtime)
        runtime.events.subscribe("pocketcloud.reset", recorder.reset)
    return recorder
