"""Everything a running pocketcloud shares: settings, store, clock, scheduler, event bus."""

from __future__ import annotations

import os
import time
from pathlib import Path

from .. import __version__
from ..config import Settings
from .clock import Clock
from .events import EventBus
from .scheduler import Scheduler
from .store import Store


class DataDirInUse(RuntimeError):
    pass


def _lock_data_dir(data_dir: Path):
    """Hold an exclusive lock on the data directory for this process's lifetime: two servers
    writing one state.db would each believe their own view of the world."""
    handle = open(data_dir / "pocketcloud.lock", "a+")
    try:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # not POSIX: no advisory locks; run without the guard
        return handle
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise DataDirInUse(f"the data directory {data_dir} is in use by pocketcloud pid {owner}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.version = __version__
        self.started = time.time()
        self._lock_file = None
        if settings.ephemeral:
            self.store = Store(None)
        else:
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
            self._lock_file = _lock_data_dir(Path(settings.data_dir))
            self.store = Store(Path(settings.data_dir) / "state.db")
        self.clock = Clock(self.store.meta_get("clock.offset", 0.0))
        self.scheduler = Scheduler(self.clock)
        self.events = EventBus()
        # Providers are reachable from each other (S3 -> KMS, SNS -> SQS, ...) through here.
        from ..services.base import Providers

        self.providers = Providers(self)

    # -- clock, persisted so a restart keeps virtual time -------------------------------------
    def advance_clock(self, seconds: float) -> int:
        self.clock.advance(seconds)
        self.store.meta_set("clock.offset", self.clock.offset)
        return self.scheduler.run_due()

    def set_clock(self, when) -> int:
        if when.timestamp() < self.clock.time():
            raise ValueError("the clock only moves forward")
        self.clock.set(when)
        self.store.meta_set("clock.offset", self.clock.offset)
        return self.scheduler.run_due()

    def reset(self) -> None:
        self.store.reset()
        self.clock.offset = 0.0
        self.events.publish("pocketcloud.reset", {})
