"""One scheduler for all background work, driven by the virtual clock.

Work is either one-off (`at`) or periodic (`every`). `run_due()` runs everything whose due time
has passed, in due-time order, pinning the clock to each task's due time while it runs; it is
called by a background tick in real time and right after the clock is moved, so
`pocketcloud time advance 30d` runs thirty daily lifecycle passes, each at its own instant.

A periodic task with a short interval (a poller, a reaper, a delivery flush) does not replay
every missed instant when the clock jumps: it runs once, at the last instant it was due. A
five-year jump would otherwise mean millions of runs of a one-second task. Tasks of an hour or
more catch up on every instant, since each pass may see a different world (daily sweeps).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from typing import Callable

from .clock import Clock

log = logging.getLogger("pocketcloud.scheduler")

CATCH_UP_FROM_SECONDS = 3600.0


class Scheduler:
    def __init__(self, clock: Clock):
        self.clock = clock
        # (due, seq, handle, fn, interval or None, catch_up)
        self._heap: list[tuple[float, int, str, Callable[[], None], float | None, bool]] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._cancelled: set[str] = set()

    def at(self, when: float, fn: Callable[[], None], name: str = "") -> str:
        """Run fn once at virtual time `when` (epoch seconds). Returns a handle for cancel()."""
        return self._push(when, fn, name, None, True)

    def every(self, interval: float, fn: Callable[[], None], name: str = "", first: float | None = None,
              catch_up: bool | None = None) -> str:
        """Run fn every `interval` virtual seconds, first at `first` (default: now + interval).
        `catch_up`: replay every missed instant after a clock jump (default: for intervals of an
        hour or more) rather than run once at the last one."""
        if interval <= 0:
            raise ValueError("interval must be positive")
        start = self.clock.time() + interval if first is None else first
        if catch_up is None:
            catch_up = interval >= CATCH_UP_FROM_SECONDS
        return self._push(start, fn, name, interval, catch_up)

    def cancel(self, handle: str) -> None:
        with self._lock:
            self._cancelled.add(handle)

    def _push(self, when, fn, name, interval, catch_up) -> str:
        handle = f"{name or 'task'}#{next(self._seq)}"
        with self._lock:
            self._cancelled.discard(handle)
            heapq.heappush(self._heap, (when, next(self._seq), handle, fn, interval, catch_up))
        return handle

    def pending(self) -> int:
        with self._lock:
            return sum(1 for item in self._heap if item[2] not in self._cancelled)

    def run_due(self, max_runs: int = 1_000_000) -> int:
        """Run every task due by the clock's current time; returns how many ran."""
        target = self.clock.time()
        ran = 0
        with self._lock:
            while self._heap and self._heap[0][0] <= target and ran < max_runs:
                when, _, handle, fn, interval, catch_up = heapq.heappop(self._heap)
                if handle in self._cancelled:
                    self._cancelled.discard(handle)
                    continue
                if interval is not None:
                    last = when + (target - when) // interval * interval
                    if not catch_up and last > when:
                        # behind by several intervals: wait in the queue for the last one
                        heapq.heappush(self._heap, (last, next(self._seq), handle, fn, interval, catch_up))
                        continue
                    heapq.heappush(self._heap, (when + interval, next(self._seq), handle, fn, interval, catch_up))
                self.clock.pin(when)
                try:
                    fn()
                except Exception:
                    log.exception("scheduled task %s failed", handle)
                finally:
                    self.clock.pin(None)
                ran += 1
        return ran
