"""AWS CloudTrail: every API call through the gateway is recorded (recorder.py, records.py);
LookupEvents reads the last 90 days; trails deliver log files, digests and CloudWatch Logs
events on the virtual clock (delivery.py)."""

from __future__ import annotations

import asyncio
import logging

from . import trails
from .recorder import recorder_for

log = logging.getLogger("pocketcloud.cloudtrail")

_DELIVERY_INTERVAL_S = 300


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        self.recorder = recorder_for(runtime)
        self._sending: set[asyncio.Task] = set()
        self._started = False

    def start(self):
        """Deliver every five minutes of virtual time; prune event history daily."""
        if self._started:
            return
        self._started = True
        trails.refresh_selector_cache(self.runtime)
        self.runtime.scheduler.every(_DELIVERY_INTERVAL_S, self._deliver_all, "cloudtrail-delivery")
        self.runtime.scheduler.every(86400, self._prune, "cloudtrail-prune")

    def _prune(self):
        from . import eventstore

        eventstore.prune(self.runtime.store, self.runtime.clock.time())

    def _deliver_all(self):
        from . import delivery

        self.recorder.flush()
        for account, home, name in trails.all_trails(self.runtime.store):
            try:
                puts, batches = delivery.collect(self.runtime, account, home, name)
            except Exception:
                log.exception("CloudTrail delivery of %s failed", name)
                continue
            if puts or batches:
                coro = delivery.send(self.runtime, account, home, name, self.runtime.clock.time(), puts, batches)
                self._spawn(coro)

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
        return await trails.create_trail(ctx, params)

    async def update_trail(self, ctx, params):
        return await trails.update_trail(ctx, params)

    def delete_trail(self, ctx, params):
        return trails.delete_trail(ctx, params)

    def get_trail(self, ctx, params):
        return trails.get_trail(ctx, params)

    def describe_trails(self, ctx, params):
        return trails.describe_trails(ctx, params)

    def list_trails(self, ctx, params):
        return trails.list_trails(ctx, params)

    def start_logging(self, ctx, params):
        return trails.start_logging(ctx, params)

    def stop_logging(self, ctx, params):
        return trails.stop_logging(ctx, params)

    async def get_trail_status(self, ctx, params):
        await self._settled()
        return trails.get_trail_status(ctx, params)

    def put_event_selectors(self, ctx, params):
        return trails.put_event_selectors(ctx, params)

    def get_event_selectors(self, ctx, params):
        return trails.get_event_selectors(ctx, params)

    def add_tags(self, ctx, params):
        return trails.add_tags(ctx, params)

    def remove_tags(self, ctx, params):
        return trails.remove_tags(ctx, params)

    def list_tags(self, ctx, params):
        return trails.list_tags(ctx, params)

    # -- events -----------------------------------------------------------------------------------
    def lookup_events(self, ctx, params):
        from .lookup import lookup_events

        return lookup_events(ctx, params)

    async def list_public_keys(self, ctx, params):
        from .signing import list_public_keys

        return await asyncio.to_thread(list_public_keys, ctx, params)
