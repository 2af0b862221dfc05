"""Group commit: the store writes of requests that arrive together share one SQLite commit.

A send, a receive or a delete is answered only once its write is committed (so nothing
acknowledged is lost), but committing each one alone makes the commit (a WAL frame write, and
every thousand frames a checkpoint) most of a small request's cost. Writes queued while the
event loop is busy with other requests run in one transaction at the next loop turn: at 16
concurrent clients that is several messages per commit, at 1 client it is the same as before.
"""

from __future__ import annotations

import asyncio
from typing import Callable


class GroupCommit:
    def __init__(self, store):
        self.store = store
        # An in-memory store (--ephemeral) commits without writing anything: grouping would
        # only add a loop turn to every write.
        self.direct = store.path == ":memory:"
        self._pending: list[tuple[Callable[[], None], asyncio.Future]] = []
        self._scheduled = False

    async def run(self, write: Callable[[], None]) -> None:
        """Run `write` (store calls) in the next group transaction; return once committed."""
        if self.direct:
            write()
            return
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((write, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        await future

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        try:
            if len(batch) == 1:
                batch[0][0]()  # alone: autocommit costs one statement, not BEGIN + write + COMMIT
            else:
                with self.store.transaction():
                    for write, _ in batch:
                        write()
        except Exception as exc:  # the whole group is rolled back: every waiter hears why
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)
