"""Group commit: the store writes of requests that arrive together share one SQLite commit.

A send, a receive or a delete is answered only once its write is committed (so nothing
acknowledged is lost), but committing each one alone makes the commit (a WAL frame write, and
every thousand frames a checkpoint) most of a small request's cost. Writes queued while the
event loop is busy with other requests run in one transaction: at 16 concurrent clients that
is several messages per commit, at 1 client it is the same as before.

The commit waits one loop turn more than it must: the requests read in the next turn join it.
Requests come in waves (a client sends its next one when its answer arrives), and a commit
that closed as soon as the loop was free split each wave in two or three. Their answers then
left in as many bursts, each waking the client again. Waiting one turn made 1 KiB S3 PUTs at
16 connections 9-18% faster side by side (three runs) and cost nothing at 1 connection; a
second turn added nothing (bench/README.md, session 8).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable


class GroupCommit:
    def __init__(self, store):
        self.store = store
        self._pending: list[tuple[Callable[[], Any], asyncio.Future]] = []
        self._scheduled = False
        # The event loop of the last call, kept while it runs: asyncio.get_running_loop() makes
        # a getpid system call each time (its fork check). One loop serves a runtime at a time
        # (a server's; in tests, one asyncio.run after another, each loop closed first).
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, write: Callable[[], Any]) -> asyncio.Future:
        """Run `write` (store calls) in the next group transaction. Await the answer: `write`'s
        result once committed. (A future, not a coroutine: the request waiting on it resumes
        one level less deep.)"""
        loop = self._loop
        if loop is None or not loop.is_running():
            # Another loop than the last one (which has stopped): a commit it had scheduled will
            # never run there, and its requests went unanswered with it.
            loop = self._loop = asyncio.get_running_loop()
            self._pending, self._scheduled = [], False
        future = loop.create_future()
        self._pending.append((write, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._wait_a_turn)
        return future

    def _wait_a_turn(self) -> None:
        # Once more round the loop: what it reads next joins this commit.
        self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        try:
            if len(batch) == 1:
                results = [batch[0][0]()]  # alone: autocommit costs one statement, not BEGIN + write + COMMIT
            else:
                with self.store.transaction():
                    results = [write() for write, _ in batch]
        except Exception as exc:  # the whole group is rolled back: every waiter hears why
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results):
            if not future.done():
                future.set_result(result)
