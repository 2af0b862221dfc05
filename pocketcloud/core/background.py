"""Work a service starts without holding up the request (or scheduler task) that caused it."""

from __future__ import annotations

import asyncio


class Background:
    """Runs coroutines on the server's event loop and keeps them referenced until they finish.
    From the loop's own thread they become tasks; from another thread they are handed to the
    loop last seen (dropped when no loop was ever seen: nothing could run them)."""

    def __init__(self):
        self.tasks: set[asyncio.Task] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        """Remember the running loop (call from it, e.g. in a provider's start())."""
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            pass

    def spawn(self, coro) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if self.loop is None:
                coro.close()
                return
            asyncio.run_coroutine_threadsafe(coro, self.loop)
            return
        self.loop = loop
        task = loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
