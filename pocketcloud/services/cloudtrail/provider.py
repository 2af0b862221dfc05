"""AWS CloudTrail: every API call through the gateway is recorded (recorder.py, records.py);
LookupEvents reads the last 90 days; trails deliver log files, digests and CloudWatch Logs
events on the virtual clock (delivery.py)."""

from __future__ import annotations

import asyncio
import logging
import time

from pocketcloud.core.store import Namespace

from .recorder import recorder_for

log = logging.getLogger("pocketcloud.cloudtrail")

_DELIVERY_INTERVAL_S = 300


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        self.recorder = recorder_for(runtime)
        self._sending: set[asyncio.Task] = set()
        self._delivery: str | None = None
        self._prune_task: str | None = None

    def start(self):
        """Deliver while some trail is logging; prune event history daily. Light when there is
        no trail: it runs at every server start."""
        if Namespace(self.runtime.store, "cloudtrail", "-", "-").list("trail"):
            _trails().refresh_selector_cache(self.runtime)
            self._ensure_delivery()
        if self._prune_task is None:
            self._prune_task = self.runtime.scheduler.at(self.runtime.clock.time() + 86400, self._prune,
                                                         "cloudtrail-prune")

    def _target(self) -> float:
        """(Just before) the instant the clock is being moved to. The scheduler pins the clock
        to each task's due time while it runs; a task that finds nothing to do jumps to the
        target instead of running every five minutes of a `time set` five years ahead. A second
        early, so the jump is still due in the scheduler pass that is running."""
        return time.time() + self.runtime.clock.offset - 1.0

    def _ensure_delivery(self):
        if self._delivery is None and self._any_logging():
            self._delivery = self.runtime.scheduler.at(self.runtime.clock.time() + _DELIVERY_INTERVAL_S,
                                                       self._deliver_all, "cloudtrail-delivery")

    def _any_logging(self) -> bool:
        trails = _trails()
        return any((t := trails.load(self.runtime.store, *key)) and t.get("IsLogging")
                   for key in trails.all_trails(self.runtime.store))

    def _prune(self):
        from . import eventstore

        now = self.runtime.clock.time()
        eventstore.prune(self.runtime.store, now)
        self._prune_task = self.runtime.scheduler.at(max(now + 86400, self._target()), self._prune,
                                                     "cloudtrail-prune")

    def _deliver_all(self):
        """One delivery of every logging trail at this instant. Events only arrive with requests,
        never while the clock is being moved, so after delivering everything up to now the next
        delivery can be at the target instant when that is further than five minutes away. (A
        quiet stretch of a long jump therefore gets one digest file, not one per hour.)"""
        from . import delivery

        self._delivery = None
        self.recorder.flush()
        now = self.runtime.clock.time()
        for account, home, name in _trails().all_trails(self.runtime.store):
            try:
                puts, batches = delivery.collect(self.runtime, account, home, name)
            except Exception:
                log.exception("CloudTrail delivery of %s failed", name)
                continue
            if puts or batches:
                self._spawn(delivery.send(self.runtime, account, home, name, now, puts, batches))
        if self._any_logging():
            self._delivery = self.runtime.scheduler.at(max(now + _DELIVERY_INTERVAL_S, self._target()),
                                                       self._deliver_all, "cloudtrail-delivery")

    def _spawn(self, coro):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(coro)
            return
        previous = list(self._sending)

        async def in_order():  # deliveries go out in the order they were collected
            if previous:
                await asyncio.gather(*previous, return_exceptions=True)
            await coro

        task = loop.create_task(in_order())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _settled(self):
        """Wait for deliveries in flight, so status and S3 agree with the clock."""
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    # -- trails -----------------------------------------------------------------------------------
    async def create_trail(self, ctx, params):
        return await _trails().create_trail(ctx, params)

    async def update_trail(self, ctx, params):
        return await _trails().update_trail(ctx, params)

    def start_logging(self, ctx, params):
        out = _trails().start_logging(ctx, params)
        self._ensure_delivery()
        return out

    async def get_trail_status(self, ctx, params):
        await self._settled()
        return _trails().get_trail_status(ctx, params)

    # -- events -----------------------------------------------------------------------------------
    def lookup_events(self, ctx, params):
        from .lookup import lookup_events

        return lookup_events(ctx, params)

    async def list_public_keys(self, ctx, params):
        from .signing import list_public_keys

        return await asyncio.to_thread(list_public_keys, ctx, params)


def _trails():
    from . import trails  # loaded on first use: start() stays light when there is no trail

    return trails


def _trail_operation(name: str):
    def operation(self, ctx, params):
        return getattr(_trails(), name)(ctx, params)

    operation.__name__ = name
    return operation


for _name in ("delete_trail", "get_trail", "describe_trails", "list_trails", "stop_logging", "put_event_selectors",
              "get_event_selectors", "add_tags", "remove_tags", "list_tags"):
    setattr(Provider, _name, _trail_operation(_name))
