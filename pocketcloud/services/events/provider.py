"""Amazon EventBridge: event buses with resource policies, rules with event patterns (the pattern
language shared with SNS, core/patterns.py) or schedules on the virtual clock, targets (SQS, SNS,
Lambda, CloudWatch Logs, other buses) with input transformation and dead-letter queues, PutEvents.

Other services put events in-process with runtime.providers.call("events", "PutEvents", ...)
(S3's EventBridge notifications); `aws.*` sources are allowed only that way.
"""

from __future__ import annotations

from importlib import import_module

# Which module implements each operation (as `function(ctx, params)`); modules load on first use
# so that the provider, loaded at start-up for scheduled rules, starts quickly.
_OPERATIONS = {
    "buses": ("create_event_bus", "describe_event_bus", "update_event_bus", "list_event_buses", "delete_event_bus",
              "put_permission", "remove_permission"),
    "rules": ("describe_rule", "list_rules", "list_rule_names_by_target", "tag_resource", "untag_resource",
              "list_tags_for_resource", "test_event_pattern"),
    "targets": ("put_targets", "remove_targets", "list_targets_by_rule"),
    "putevents": ("put_events",),
}
_MODULE_OF = {operation: module for module, operations in _OPERATIONS.items() for operation in operations}


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        self._schedules = None
        runtime.events.subscribe("pocketcloud.reset", lambda topic, event: self.schedules.forget())

    def __getattr__(self, name: str):
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(name)
        function = getattr(import_module(f"{__package__}.{module}"), name)
        setattr(self, name, function)
        return function

    @property
    def schedules(self):
        if self._schedules is None:
            from .timers import Schedules

            self._schedules = Schedules(self.runtime)
        return self._schedules

    def start(self) -> None:
        self.schedules.start()

    # -- rule changes re-arm the rule's schedule ----------------------------------------------------
    def _changed(self, ctx, params, function_name: str):
        from . import rules
        from .common import DEFAULT_BUS, bus_name

        out = getattr(rules, function_name)(ctx, params)
        if bus_name(ctx, params.get("EventBusName")) == DEFAULT_BUS:
            self.schedules.sync(ctx.account, ctx.region, params["Name"])
        return out

    def put_rule(self, ctx, params):
        return self._changed(ctx, params, "put_rule")

    def delete_rule(self, ctx, params):
        return self._changed(ctx, params, "delete_rule")

    def enable_rule(self, ctx, params):
        return self._changed(ctx, params, "enable_rule")

    def disable_rule(self, ctx, params):
        return self._changed(ctx, params, "disable_rule")
