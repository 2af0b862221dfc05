"""Where queues are found: by URL, by ARN, by name, loaded from the store on first use.

Queues are cached in memory per (account, region, name) with their messages; the store holds
each queue's record (kind "queue") and each message (kind "message", keyed by the queue's
generation id and sequence number, so a queue deleted and created again never sees old messages).
"""

from __future__ import annotations

from pocketcloud.core.store import Namespace
from pocketcloud.protocol.errors import ServiceError

from .queue import Queue
from .urls import parse_queue_url, split_arn


def no_such_queue() -> ServiceError:
    return ServiceError("QueueDoesNotExist", "The specified queue does not exist.")


class Registry:
    def __init__(self, runtime):
        self.runtime = runtime
        self.queues: dict[tuple[str, str, str], Queue] = {}
        self._by_url: dict[tuple[str, str], Queue] = {}

    def clear(self) -> None:
        for queue in self.queues.values():
            queue.deleted = True
            queue.wake()
        self.queues.clear()
        self._by_url.clear()

    def namespace(self, account: str, region: str) -> Namespace:
        return Namespace(self.runtime.store, "sqs", account, region)

    def find(self, account: str, region: str, name: str) -> Queue | None:
        key = (account, region, name)
        queue = self.queues.get(key)
        if queue is None:
            ns = self.namespace(account, region)
            record = ns.get("queue", name)
            if record is None:
                return None
            queue = Queue(ns, name, record)
            queue.load()
            self.queues[key] = queue
        return queue

    def by_url(self, url: str, region: str) -> Queue:
        """The queue a QueueUrl names (its region from the URL's host, else the request's)."""
        cached = self._by_url.get((url, region))
        if cached is not None and not cached.deleted:
            return cached
        account, url_region, name = parse_queue_url(url, region)
        queue = self.find(account, url_region, name)
        if queue is None:
            raise no_such_queue()
        if len(self._by_url) > 10_000:
            self._by_url.clear()
        self._by_url[(url, region)] = queue
        return queue

    def by_arn(self, arn: str) -> Queue | None:
        try:
            _, account, region, name = split_arn(arn)
        except ValueError:
            return None
        return self.find(account, region, name)

    def add(self, queue: Queue) -> None:
        self.queues[(queue.account, queue.region, queue.name)] = queue

    def drop(self, queue: Queue) -> None:
        queue.deleted = True
        queue.wake()
        self.queues.pop((queue.account, queue.region, queue.name), None)
        self._by_url = {k: q for k, q in self._by_url.items() if q is not queue}

    def names(self, account: str, region: str) -> list[str]:
        return [name for name, _ in self.namespace(account, region).list("queue")]

    def all_in(self, account: str, region: str) -> list[Queue]:
        out = []
        for name in self.names(account, region):
            queue = self.find(account, region, name)
            if queue is not None:
                out.append(queue)
        return out
