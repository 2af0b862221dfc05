"""The SNS provider: operations dispatch to topics, subscriptions, publish and platform.

SNS is a background service (persisted HTTP retries resume at start-up), so this module is
imported when the server starts: the operation modules are imported on first use instead.
"""

from __future__ import annotations

import json
from importlib import import_module

from . import signing
from .common import SUBSCRIPTION
from .delivery import Deliverer

# Operations that are plain functions (ctx, params) of one module, by module.
_PLAIN = {
    "topics": ("create_topic", "list_topics", "get_topic_attributes", "set_topic_attributes", "add_permission",
               "remove_permission", "tag_resource", "untag_resource", "list_tags_for_resource",
               "put_data_protection_policy", "get_data_protection_policy"),
    "subscriptions": ("list_subscriptions", "list_subscriptions_by_topic", "get_subscription_attributes"),
    "platform": ("create_platform_application", "get_platform_application_attributes",
                 "set_platform_application_attributes", "list_platform_applications", "delete_platform_application",
                 "create_platform_endpoint", "get_endpoint_attributes", "set_endpoint_attributes", "delete_endpoint",
                 "list_endpoints_by_platform_application", "set_sms_attributes", "get_sms_attributes",
                 "check_if_phone_number_is_opted_out", "opt_in_phone_number", "list_phone_numbers_opted_out",
                 "get_sms_sandbox_account_status", "create_sms_sandbox_phone_number",
                 "verify_sms_sandbox_phone_number", "list_sms_sandbox_phone_numbers",
                 "delete_sms_sandbox_phone_number", "list_origination_numbers"),
}
_MODULE_OF = {name: module for module, names in _PLAIN.items() for name in names}


def _module(name: str):
    return import_module(f"{__package__}.{name}")


class SubscriptionCache:
    """Each topic's confirmed subscriptions with their parsed filter policies, so a publish does
    not re-read and re-parse them; dropped whenever a subscription of the topic changes."""

    def __init__(self):
        self._by_topic: dict[str, list] = {}

    def subscriptions(self, ns, topic_arn: str) -> list:
        found = self._by_topic.get(topic_arn)
        if found is None:
            found = []
            for _, sub in ns.list(SUBSCRIPTION, topic_arn + ":"):
                if sub.get("PendingConfirmation"):
                    continue
                text = sub["Attributes"].get("FilterPolicy")
                found.append((sub, json.loads(text) if text else None,
                              sub["Attributes"].get("FilterPolicyScope", "MessageAttributes")))
            self._by_topic[topic_arn] = found
        return found

    def forget(self, topic_arn: str) -> None:
        self._by_topic.pop(topic_arn, None)

    def clear(self) -> None:
        self._by_topic.clear()


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        self.cache = SubscriptionCache()
        self.deliverer = Deliverer(runtime)
        runtime.events.subscribe("pocketcloud.reset", self._on_reset)

    def _on_reset(self, *_):
        self.cache.clear()
        signing.forget(self.runtime)

    def start(self) -> None:
        """Persisted HTTP deliveries and retries are scheduled again after a restart."""
        self.deliverer.resume_retries()

    def __getattr__(self, name: str):
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(name)
        function = getattr(_module(module), name)
        setattr(self, name, function)  # found once; later lookups do not come here
        return function

    # -- operations that need the provider (its cache, its deliverer) -----------------------------
    def delete_topic(self, ctx, params):
        self.cache.forget(params["TopicArn"])
        return _module("topics").delete_topic(ctx, params)

    async def subscribe(self, ctx, params):
        return await _module("subscriptions").subscribe(self, ctx, params)

    def confirm_subscription(self, ctx, params):
        return _module("subscriptions").confirm_subscription(self, ctx.runtime, params)

    def unsubscribe(self, ctx, params):
        return _module("subscriptions").unsubscribe(self, ctx.runtime, params)

    def set_subscription_attributes(self, ctx, params):
        return _module("subscriptions").set_subscription_attributes(self, ctx, params)

    async def publish(self, ctx, params):
        return await _module("publish").publish(self, ctx, params)

    async def publish_batch(self, ctx, params):
        return await _module("publish").publish_batch(self, ctx, params)
