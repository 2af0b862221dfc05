"""The internal event bus: how one service tells another without importing its internals."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Callable

log = logging.getLogger("pocketcloud.events")

Handler = Callable[[str, dict[str, Any]], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Deliver to every subscriber; one failing subscriber does not stop the others."""
        for handler in list(self._handlers.get(topic, ())):
            try:
                handler(topic, event)
            except Exception:
                log.exception("event handler for %s failed", topic)
