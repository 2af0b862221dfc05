"""Scheduled rules on the virtual clock.

Each enabled rule with a ScheduleExpression on a default bus has one one-off scheduler task at
its next instant; the task delivers AWS's "Scheduled Event" to the rule's targets and arms the
next instant. `rate()` instants count from when the rule was set or enabled (persisted as the
rule's ScheduleAnchor), so a restart resumes the same cadence; the `_global` index of scheduled
rules lets start-up find them without scanning every account.

A clock jump delivers every missed instant, each with its own time, as AWS would have:
advancing 10 minutes past a rate(5 minutes) rule delivers twice. (The scheduler's `every()`
would coalesce a short interval into one run; one-off tasks re-armed per instant do not.) So
that `time advance 365d` with a rate(1 minute) rule does not mean half a million deliveries,
a jump replays at most the last CATCH_UP instants of each rule.
"""

from __future__ import annotations

import logging
import time as _time
import uuid

from pocketcloud.core.background import Background

from .common import DEFAULT_BUS, GLOBAL, SERVICE, iso_time, rule_key

log = logging.getLogger("pocketcloud.events")

CATCH_UP = 1440  # instants per rule per jump: a day of a per-minute rule


class Schedules:
    def __init__(self, runtime):
        self.runtime = runtime
        self.handles: dict[str, str] = {}
        self.background = Background()

    def start(self) -> None:
        self.background.bind()
        for key, _ in self.runtime.store.list(SERVICE, GLOBAL, GLOBAL, "schedule"):
            account, region, name = key.split("|", 2)
            self.sync(account, region, name)

    def forget(self) -> None:
        """After a reset: no rule is left."""
        for handle in self.handles.values():
            self.runtime.scheduler.cancel(handle)
        self.handles.clear()

    def sync(self, account: str, region: str, name: str) -> None:
        """(Re)arm a rule's schedule after it changed (or went)."""
        key = f"{account}|{region}|{name}"
        store = self.runtime.store
        handle = self.handles.pop(key, None)
        if handle:
            self.runtime.scheduler.cancel(handle)
        rule = store.get(SERVICE, account, region, "rule", rule_key(DEFAULT_BUS, name))
        if rule is None or not rule.get("ScheduleExpression"):
            store.delete(SERVICE, GLOBAL, GLOBAL, "schedule", key)
            return
        store.put(SERVICE, GLOBAL, GLOBAL, "schedule", key, {})
        if rule["State"] == "ENABLED":
            self._arm(key, rule, self.runtime.clock.time())

    def _arm(self, key: str, rule: dict, after: float) -> None:
        from .schedule import parse

        expression = parse(rule["ScheduleExpression"])
        anchor = rule.get("ScheduleAnchor", after)
        due = expression.next_after(anchor, after)
        if due is None:
            return
        # The instant the clock is being moved to (the clock is pinned to `after` while a task runs):
        # skip what lies more than CATCH_UP instants behind it.
        target = _time.time() + self.runtime.clock.offset
        step = due - after if due > after else 60
        if target - due > CATCH_UP * step:
            due = expression.next_after(anchor, target - CATCH_UP * step)
            if due is None:
                return
        self.handles[key] = self.runtime.scheduler.at(due, lambda: self._fire(key, due), "events-schedule")

    def _fire(self, key: str, when: float) -> None:
        account, region, name = key.split("|", 2)
        self.handles.pop(key, None)
        rule = self.runtime.store.get(SERVICE, account, region, "rule", rule_key(DEFAULT_BUS, name))
        if rule is None or rule["State"] != "ENABLED" or not rule.get("ScheduleExpression"):
            return
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": account, "time": iso_time(self.runtime.clock.now()), "region": region,
                 "resources": [rule["Arn"]], "detail": {}}
        self._spawn(account, region, rule, event)
        self._arm(key, rule, when)

    def _spawn(self, account, region, rule, event) -> None:
        from .delivery import deliver_to_targets

        self.background.spawn(deliver_to_targets(self.runtime, account, region, rule, event))
