"""Amazon CloudWatch Logs: log groups and streams, events with AWS's batch rules, filter patterns,
retention on the virtual clock, subscription filters to Lambda, metric filters, Logs Insights.

Lambda and other services write here in-process with runtime.providers.call("logs", ...), so
every operation works the same with ctx.protocol == "internal".
"""

from __future__ import annotations

from . import events, groups

RETENTION_SWEEP_SECONDS = 6 * 3600   # reads hide expired events at once; the sweep frees the space


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime

    def start(self) -> None:
        self.runtime.scheduler.every(RETENTION_SWEEP_SECONDS, self._sweep, "logs-retention")

    def _sweep(self) -> None:
        from pocketcloud.services.base import RequestContext

        for account, region in _namespaces_with_groups(self.runtime.store):
            ctx = RequestContext.internal(self.runtime, "logs", "RetentionSweep", account, region)
            events.sweep_expired(ctx)

    # -- groups, streams, tags -----------------------------------------------------------------
    def create_log_group(self, ctx, params):
        return groups.create_log_group(ctx, params)

    def delete_log_group(self, ctx, params):
        return groups.delete_log_group(ctx, params)

    def describe_log_groups(self, ctx, params):
        return groups.describe_log_groups(ctx, params)

    def put_retention_policy(self, ctx, params):
        return groups.put_retention_policy(ctx, params)

    def delete_retention_policy(self, ctx, params):
        return groups.delete_retention_policy(ctx, params)

    def associate_kms_key(self, ctx, params):
        return groups.associate_kms_key(ctx, params)

    def disassociate_kms_key(self, ctx, params):
        return groups.disassociate_kms_key(ctx, params)

    def put_log_group_deletion_protection(self, ctx, params):
        return groups.put_log_group_deletion_protection(ctx, params)

    def tag_resource(self, ctx, params):
        return groups.tag_resource(ctx, params)

    def untag_resource(self, ctx, params):
        return groups.untag_resource(ctx, params)

    def list_tags_for_resource(self, ctx, params):
        return groups.list_tags_for_resource(ctx, params)

    def tag_log_group(self, ctx, params):
        return groups.tag_log_group(ctx, params)

    def untag_log_group(self, ctx, params):
        return groups.untag_log_group(ctx, params)

    def list_tags_log_group(self, ctx, params):
        return groups.list_tags_log_group(ctx, params)

    def create_log_stream(self, ctx, params):
        return groups.create_log_stream(ctx, params)

    def delete_log_stream(self, ctx, params):
        return groups.delete_log_stream(ctx, params)

    def describe_log_streams(self, ctx, params):
        return groups.describe_log_streams(ctx, params)

    # -- events --------------------------------------------------------------------------------
    async def put_log_events(self, ctx, params):
        out, rows = events.put_log_events(ctx, params)
        if rows:
            await self._after_put(ctx, params["logGroupName"], params["logStreamName"], rows)
        return out

    async def _after_put(self, ctx, group: str, stream: str, rows: list) -> None:
        ns = ctx.namespace("logs")
        if ns.list("subscription", f"{group}:"):
            from .subscriptions import deliver

            await deliver(ctx, group, stream, rows)
        if ns.list("metric-filter", f"{group}:"):
            from .metric_filters import emit

            await emit(ctx, group, rows)

    def get_log_events(self, ctx, params):
        return events.get_log_events(ctx, params)

    def filter_log_events(self, ctx, params):
        return events.filter_log_events(ctx, params)

    # -- subscription and metric filters -------------------------------------------------------
    async def put_subscription_filter(self, ctx, params):
        from .subscriptions import put_subscription_filter

        return await put_subscription_filter(ctx, params)

    def describe_subscription_filters(self, ctx, params):
        from .subscriptions import describe_subscription_filters

        return describe_subscription_filters(ctx, params)

    def delete_subscription_filter(self, ctx, params):
        from .subscriptions import delete_subscription_filter

        return delete_subscription_filter(ctx, params)

    def put_metric_filter(self, ctx, params):
        from .metric_filters import put_metric_filter

        return put_metric_filter(ctx, params)

    def describe_metric_filters(self, ctx, params):
        from .metric_filters import describe_metric_filters

        return describe_metric_filters(ctx, params)

    def delete_metric_filter(self, ctx, params):
        from .metric_filters import delete_metric_filter

        return delete_metric_filter(ctx, params)

    def test_metric_filter(self, ctx, params):
        from .metric_filters import test_metric_filter

        return test_metric_filter(ctx, params)


def _namespaces_with_groups(store) -> list[tuple[str, str]]:
    """Every (account, region) that has a log group: the retention sweep visits each."""
    with store._lock:
        rows = store._db.execute(
            "SELECT DISTINCT account, region FROM resources WHERE service='logs' AND kind='group'").fetchall()
    return [(a, r) for a, r in rows]
