"""Amazon CloudWatch Logs: log groups and streams, events with AWS's batch rules, filter patterns,
retention on the virtual clock, subscription filters to Lambda, metric filters, Logs Insights.

Lambda and other services write here in-process with runtime.providers.call("logs", ...), so
every operation works the same with ctx.protocol == "internal".
"""

from __future__ import annotations

import asyncio
from importlib import import_module

RETENTION_SWEEP_SECONDS = 6 * 3600   # reads hide expired events at once; the sweep frees the space

# Which module implements each operation (as `function(ctx, params)`). Modules load on first use,
# so the provider starts quickly (it is loaded at server start for the retention sweep).
_OPERATIONS = {
    "groups": ("create_log_group", "delete_log_group", "describe_log_groups", "put_retention_policy",
               "delete_retention_policy", "associate_kms_key", "disassociate_kms_key",
               "put_log_group_deletion_protection", "tag_resource", "untag_resource", "list_tags_for_resource",
               "tag_log_group", "untag_log_group", "list_tags_log_group", "create_log_stream",
               "delete_log_stream", "describe_log_streams", "list_log_groups"),
    "subscriptions": ("put_subscription_filter", "describe_subscription_filters", "delete_subscription_filter"),
    "metric_filters": ("put_metric_filter", "describe_metric_filters", "delete_metric_filter",
                       "test_metric_filter"),
    "insights.queries": ("get_query_results", "stop_query", "describe_queries", "get_log_record"),
    "exports": ("create_export_task", "describe_export_tasks", "cancel_export_task"),
    "policies": ("put_resource_policy", "describe_resource_policies", "delete_resource_policy"),
    "insights.definitions": ("put_query_definition", "describe_query_definitions", "delete_query_definition"),
}
# Reads that scan many events run in a worker thread, so the server keeps answering meanwhile.
_SCANS = {
    "get_log_events": "events", "filter_log_events": "events", "start_query": "insights.queries",
    "get_log_group_fields": "insights.definitions",
}
_MODULE_OF = {operation: module for module, operations in _OPERATIONS.items() for operation in operations}


def _in_thread(function):
    async def scan(ctx, params):
        return await asyncio.to_thread(function, ctx, params)
    return scan


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        self.live_tails = None   # LiveTails, made by the first StartLiveTail

    def __getattr__(self, name: str):
        module = _MODULE_OF.get(name) or _SCANS.get(name)
        if module is None:
            raise AttributeError(name)
        function = getattr(import_module(f"{__package__}.{module}"), name)
        if name in _SCANS:
            function = _in_thread(function)
        setattr(self, name, function)
        return function

    def start(self) -> None:
        self.runtime.scheduler.every(RETENTION_SWEEP_SECONDS, self._sweep, "logs-retention")

    def _sweep(self) -> None:
        from pocketcloud.services.base import RequestContext

        from .events import sweep_expired
        from .insights.queries import forget_old_queries

        for account, region in _namespaces_with_groups(self.runtime.store):
            ctx = RequestContext.internal(self.runtime, "logs", "RetentionSweep", account, region)
            sweep_expired(ctx)
            forget_old_queries(ctx)

    async def put_log_events(self, ctx, params):
        from .events import put_log_events

        out, rows = put_log_events(ctx, params)
        if rows:
            if self.live_tails is not None:
                self.live_tails.publish(ctx.account, ctx.region, params["logGroupName"], params["logStreamName"], rows)
            await self._after_put(ctx, params["logGroupName"], params["logStreamName"], rows)
        return out

    def start_live_tail(self, ctx, params):
        if self.live_tails is None:
            from .livetail import LiveTails

            self.live_tails = LiveTails()
        return self.live_tails.start(ctx, params)

    async def _after_put(self, ctx, group: str, stream: str, rows: list) -> None:
        """Feed the accepted events to the group's subscription and metric filters."""
        ns = ctx.namespace("logs")
        if ns.list("subscription", f"{group}:"):
            from .subscriptions import deliver

            await deliver(ctx, group, stream, rows)
        if ns.list("metric-filter", f"{group}:"):
            from .metric_filters import emit

            await emit(ctx, group, rows)


def _namespaces_with_groups(store) -> list[tuple[str, str]]:
    """Every (account, region) that has a log group or a query: the sweep visits each. (The store's
    API lists within one namespace only, hence this one read-only query of its table.)"""
    with store._lock:
        rows = store._db.execute(
            "SELECT DISTINCT account, region FROM resources WHERE service='logs' AND kind IN ('group', 'query')"
        ).fetchall()
    return [(a, r) for a, r in rows]
