"""Amazon SQS provider: one method per operation, delegating to queue_ops, message_ops, receive
and move_tasks. Works the same over the JSON protocol, the query protocol and in-process calls
from other services (SNS delivering with `runtime.providers.call("sqs", "SendMessage", ...)`).
"""

from __future__ import annotations

from pocketcloud.protocol.errors import ServiceError

from . import message_ops, move_tasks, queue_ops, receive
from ...core.group_commit import GroupCommit
from .registry import Registry
from .urls import endpoint_of, set_default_endpoint


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        self.clock = runtime.clock
        self.registry = Registry(runtime)
        self.move_tasks = move_tasks.MoveTasks(self)
        self.writes = GroupCommit(runtime.store)
        set_default_endpoint(runtime.settings.endpoint)
        runtime.events.subscribe("pocketcloud.reset", self._reset)

    def _reset(self, _topic, _event) -> None:
        self.registry.clear()
        self.move_tasks.clear()

    def queue(self, ctx, params: dict):
        url = params.get("QueueUrl")
        if not url:
            # An older client posting the query protocol to the queue URL names it by the path.
            if ctx.protocol == "query" and ctx.request.path.count("/") == 2:
                url = endpoint_of(ctx.request) + ctx.request.path
            else:
                raise ServiceError("MissingParameter", "The request must contain the parameter QueueUrl.")
        return self.registry.by_url(url, ctx.region)

    # -- queues ------------------------------------------------------------------------------------
    def create_queue(self, ctx, params):
        return queue_ops.create_queue(self, ctx, params)

    def get_queue_url(self, ctx, params):
        return queue_ops.get_queue_url(self, ctx, params)

    def list_queues(self, ctx, params):
        return queue_ops.list_queues(self, ctx, params)

    def delete_queue(self, ctx, params):
        return queue_ops.delete_queue(self, ctx, params)

    def get_queue_attributes(self, ctx, params):
        return queue_ops.get_queue_attributes(self, ctx, params)

    def set_queue_attributes(self, ctx, params):
        return queue_ops.set_queue_attributes(self, ctx, params)

    def purge_queue(self, ctx, params):
        return queue_ops.purge_queue(self, ctx, params)

    def tag_queue(self, ctx, params):
        return queue_ops.tag_queue(self, ctx, params)

    def untag_queue(self, ctx, params):
        return queue_ops.untag_queue(self, ctx, params)

    def list_queue_tags(self, ctx, params):
        return queue_ops.list_queue_tags(self, ctx, params)

    def add_permission(self, ctx, params):
        return queue_ops.add_permission(self, ctx, params)

    def remove_permission(self, ctx, params):
        return queue_ops.remove_permission(self, ctx, params)

    def list_dead_letter_source_queues(self, ctx, params):
        return queue_ops.list_dead_letter_source_queues(self, ctx, params)

    # -- messages ----------------------------------------------------------------------------------
    async def send_message(self, ctx, params):
        return await message_ops.send_message(self, ctx, params)

    async def send_message_batch(self, ctx, params):
        return await message_ops.send_message_batch(self, ctx, params)

    async def receive_message(self, ctx, params):
        return await receive.receive_message(self, ctx, params)

    async def delete_message(self, ctx, params):
        return await message_ops.delete_message(self, ctx, params)

    def delete_message_batch(self, ctx, params):
        return message_ops.delete_message_batch(self, ctx, params)

    def change_message_visibility(self, ctx, params):
        return message_ops.change_message_visibility(self, ctx, params)

    def change_message_visibility_batch(self, ctx, params):
        return message_ops.change_message_visibility_batch(self, ctx, params)

    # -- message move tasks (dead-letter queue redrive) -------------------------------------------
    def start_message_move_task(self, ctx, params):
        return self.move_tasks.start(ctx, params)

    def list_message_move_tasks(self, ctx, params):
        return self.move_tasks.list(ctx, params)

    def cancel_message_move_task(self, ctx, params):
        return self.move_tasks.cancel(ctx, params)
