"""The SNS provider: operations dispatch to topics, subscriptions, publish and platform."""

from __future__ import annotations

import json

from . import platform, publish, signing, subscriptions, topics
from .common import SUBSCRIPTION
from .delivery import Deliverer


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

    def clear(self, *_) -> None:
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
        """Persisted HTTP retries are scheduled again after a restart."""
        self.deliverer.resume_retries()

    # -- topics -------------------------------------------------------------------------------------
    def create_topic(self, ctx, params):
        return topics.create_topic(ctx, params)

    def delete_topic(self, ctx, params):
        self.cache.forget(params["TopicArn"])
        return topics.delete_topic(ctx, params)

    list_topics = staticmethod(topics.list_topics)
    get_topic_attributes = staticmethod(topics.get_topic_attributes)
    set_topic_attributes = staticmethod(topics.set_topic_attributes)
    add_permission = staticmethod(topics.add_permission)
    remove_permission = staticmethod(topics.remove_permission)
    tag_resource = staticmethod(topics.tag_resource)
    untag_resource = staticmethod(topics.untag_resource)
    list_tags_for_resource = staticmethod(topics.list_tags_for_resource)
    put_data_protection_policy = staticmethod(topics.put_data_protection_policy)
    get_data_protection_policy = staticmethod(topics.get_data_protection_policy)

    # -- subscriptions ------------------------------------------------------------------------------
    async def subscribe(self, ctx, params):
        return await subscriptions.subscribe(self, ctx, params)

    def confirm_subscription(self, ctx, params):
        return subscriptions.confirm_subscription(self, ctx.runtime, params)

    def unsubscribe(self, ctx, params):
        return subscriptions.unsubscribe(self, ctx.runtime, params)

    def set_subscription_attributes(self, ctx, params):
        return subscriptions.set_subscription_attributes(self, ctx, params)

    list_subscriptions = staticmethod(subscriptions.list_subscriptions)
    list_subscriptions_by_topic = staticmethod(subscriptions.list_subscriptions_by_topic)
    get_subscription_attributes = staticmethod(subscriptions.get_subscription_attributes)

    # -- publishing ---------------------------------------------------------------------------------
    async def publish(self, ctx, params):
        return await publish.publish(self, ctx, params)

    async def publish_batch(self, ctx, params):
        return await publish.publish_batch(self, ctx, params)

    # -- mobile push and SMS ------------------------------------------------------------------------
    create_platform_application = staticmethod(platform.create_platform_application)
    get_platform_application_attributes = staticmethod(platform.get_platform_application_attributes)
    set_platform_application_attributes = staticmethod(platform.set_platform_application_attributes)
    list_platform_applications = staticmethod(platform.list_platform_applications)
    delete_platform_application = staticmethod(platform.delete_platform_application)
    create_platform_endpoint = staticmethod(platform.create_platform_endpoint)
    get_endpoint_attributes = staticmethod(platform.get_endpoint_attributes)
    set_endpoint_attributes = staticmethod(platform.set_endpoint_attributes)
    delete_endpoint = staticmethod(platform.delete_endpoint)
    list_endpoints_by_platform_application = staticmethod(platform.list_endpoints_by_platform_application)
    set_sms_attributes = staticmethod(platform.set_sms_attributes)
    get_sms_attributes = staticmethod(platform.get_sms_attributes)
    check_if_phone_number_is_opted_out = staticmethod(platform.check_if_phone_number_is_opted_out)
    opt_in_phone_number = staticmethod(platform.opt_in_phone_number)
    list_phone_numbers_opted_out = staticmethod(platform.list_phone_numbers_opted_out)
    get_sms_sandbox_account_status = staticmethod(platform.get_sms_sandbox_account_status)
    create_sms_sandbox_phone_number = staticmethod(platform.create_sms_sandbox_phone_number)
    verify_sms_sandbox_phone_number = staticmethod(platform.verify_sms_sandbox_phone_number)
    list_sms_sandbox_phone_numbers = staticmethod(platform.list_sms_sandbox_phone_numbers)
    delete_sms_sandbox_phone_number = staticmethod(platform.delete_sms_sandbox_phone_number)
    list_origination_numbers = staticmethod(platform.list_origination_numbers)
