"""Message move tasks: StartMessageMoveTask moves messages out of a dead-letter queue, back to
the queues they came from or to a named destination; List/Cancel follow them.

Without MaxNumberOfMessagesPerSecond a task moves everything at once (AWS's system-optimised
rate is far above what a local queue holds). With a rate, it moves that many messages per
virtual second on the scheduler, so a test can watch it run and cancel it.
"""

from __future__ import annotations

import base64
import json
import uuid

from pocketcloud.protocol.errors import ServiceError

from .queue_ops import invalid_parameter, queue_of_arn

_RUNNING = "sqs.move-tasks"  # store meta: [account, region, queue name, task key] of rate-limited tasks


class MoveTasks:
    def __init__(self, sqs):
        self.sqs = sqs
        self._timers: dict[str, str] = {}  # task handle -> scheduler handle
        self.resume()

    def resume(self) -> None:
        """Start again the rate-limited tasks that were running when the server stopped (the
        scheduler's tasks live in memory; the task records are in the store)."""
        for account, region, name, key in self.sqs.runtime.store.meta_get(_RUNNING, []):
            source = self.sqs.registry.find(account, region, name)
            task = source.ns.get("move-task", key) if source is not None else None
            if task is not None and task["Status"] == "RUNNING":
                self._schedule(source, task)
            else:
                self._forget_running(key)

    def _schedule(self, source, task: dict) -> None:
        key = task["key"]
        self._timers[task["TaskHandle"]] = self.sqs.runtime.scheduler.every(
            1.0, lambda: self._tick(source, key), "sqs-move-task")

    def _remember_running(self, source, key: str) -> None:
        store = self.sqs.runtime.store
        store.meta_set(_RUNNING, store.meta_get(_RUNNING, []) + [[source.account, source.region, source.name, key]])

    def _forget_running(self, key: str) -> None:
        store = self.sqs.runtime.store
        running = store.meta_get(_RUNNING, [])
        if any(entry[3] == key for entry in running):
            store.meta_set(_RUNNING, [entry for entry in running if entry[3] != key])

    def _stop(self, task: dict) -> None:
        timer = self._timers.pop(task["TaskHandle"], None)
        if timer:
            self.sqs.runtime.scheduler.cancel(timer)
        self._forget_running(task["key"])

    def clear(self) -> None:
        for timer in self._timers.values():
            self.sqs.runtime.scheduler.cancel(timer)
        self._timers.clear()

    def _ns(self, account: str, region: str):
        return self.sqs.registry.namespace(account, region)

    def start(self, ctx, params: dict) -> dict:
        sqs = self.sqs
        source = queue_of_arn(sqs, params["SourceArn"], "SourceArn")
        if source.fifo:
            raise invalid_parameter("SourceArn", source.arn, "Only standard queues support message move tasks.")
        if not any(q.redrive is not None and q.redrive[0] == source.arn
                   for q in sqs.registry.all_in(source.account, source.region)):
            raise invalid_parameter("SourceArn", source.arn, "Source queue must be configured as a Dead Letter "
                                    "Queue.")
        destination = None
        if params.get("DestinationArn"):
            destination = queue_of_arn(sqs, params["DestinationArn"], "DestinationArn")
            if destination.fifo != source.fifo or destination is source:
                raise invalid_parameter("DestinationArn", destination.arn,
                                        "Destination must be a different queue of the same type.")
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= 500:
            raise invalid_parameter("MaxNumberOfMessagesPerSecond", rate, "Must be between 1 and 500.")
        ns = self._ns(source.account, source.region)
        for _, task in ns.list("move-task", source.id + "/"):
            if task["Status"] == "RUNNING":
                raise ServiceError("UnsupportedOperation", "There is already a task running. Only one active task "
                                   "is allowed for a source queue arn at a given time.")
        now = sqs.clock.time()
        task_id = uuid.uuid4().hex
        handle = base64.urlsafe_b64encode(json.dumps(
            {"taskId": task_id, "sourceArn": source.arn}).encode()).decode()
        task = {"TaskHandle": handle, "Status": "RUNNING", "SourceArn": source.arn,
                "ApproximateNumberOfMessagesMoved": 0,
                "ApproximateNumberOfMessagesToMove": len(source.messages),
                "StartedTimestamp": int(now * 1000), "key": f"{source.id}/{int(now * 1e6):020d}-{task_id}"}
        if destination is not None:
            task["DestinationArn"] = destination.arn
        if rate is not None:
            task["MaxNumberOfMessagesPerSecond"] = rate
            task["last_step"] = now
        ns.put("move-task", task["key"], task)
        if rate is None:
            self._step(source, task, None)
        else:
            self._remember_running(source, task["key"])
            self._schedule(source, task)
        return {"TaskHandle": handle}

    def _tick(self, source, key: str) -> None:
        task = source.ns.get("move-task", key)
        if task is None or task["Status"] != "RUNNING" or source.deleted:
            if task is not None:
                self._stop(task)
            return
        # As many messages as the rate allows for the virtual time since the last step: a clock
        # jump may run this once for many seconds.
        now = self.sqs.clock.time()
        budget = int(task["MaxNumberOfMessagesPerSecond"] * (now - task["last_step"]) + 1e-6)
        if budget > 0:
            task["last_step"] = now
            self._step(source, task, budget)

    def _step(self, source, task: dict, limit: int | None) -> None:
        """Move up to `limit` messages (all when None); the task completes when none are left."""
        from .receive import move_message

        sqs = self.sqs
        now = sqs.clock.time()
        moved = 0
        with sqs.runtime.store.transaction():
            for message in list(source.messages.values()):
                if limit is not None and moved >= limit:
                    break
                if message.in_flight(now):
                    continue
                target_arn = task.get("DestinationArn") or message.dead_letter_source
                target = sqs.registry.by_arn(target_arn) if target_arn else None
                if target is None:
                    continue  # its source queue is gone: the message stays in the dead-letter queue
                move_message(sqs, message, source, target, now, dead_letter=False)
                moved += 1
            task["ApproximateNumberOfMessagesMoved"] += moved
            if limit is None or moved < limit:
                task["Status"] = "COMPLETED"
                self._stop(task)
            source.ns.put("move-task", task["key"], task)

    def list(self, ctx, params: dict) -> dict:
        source = queue_of_arn(self.sqs, params["SourceArn"], "SourceArn")
        limit = params.get("MaxResults")
        limit = 1 if limit is None else limit
        if not 1 <= limit <= 10:
            raise invalid_parameter("MaxResults", limit, "Must be between 1 and 10.")
        tasks = [task for _, task in source.ns.list("move-task", source.id + "/")]
        tasks.reverse()  # most recent first
        results = []
        for task in tasks[:limit]:
            item = {k: v for k, v in task.items() if k not in ("key", "last_step")}
            if task["Status"] != "RUNNING":
                item.pop("TaskHandle", None)
            results.append(item)
        return {"Results": results}

    def cancel(self, ctx, params: dict) -> dict:
        handle = params["TaskHandle"]
        try:
            decoded = json.loads(base64.urlsafe_b64decode(handle.encode()))
            source = self.sqs.registry.by_arn(decoded["sourceArn"])
            task_id = decoded["taskId"]
        except (ValueError, KeyError, TypeError):
            source = task_id = None
        task = None
        if source is not None:
            task = next((t for _, t in source.ns.list("move-task", source.id + "/") if t["key"].endswith(task_id)),
                        None)
        if task is None or task["Status"] != "RUNNING":
            raise ServiceError("ResourceNotFoundException", "The task handle is not valid or the task is not running.",
                               404)
        task["Status"] = "CANCELLED"
        source.ns.put("move-task", task["key"], task)
        self._stop(task)
        return {"ApproximateNumberOfMessagesMoved": task["ApproximateNumberOfMessagesMoved"]}
